// Draws the whole page, as single-page apps do; also asks a private address for a beacon, which must be refused.
document.getElementById("app").innerHTML = `
  <h1>Nimbus Cloud Backup</h1>
  <p>Backups for small teams. Write to <a href="mailto:hello@nimbus-backup.io">hello@nimbus-backup.io</a>
  or call <a href="tel:+14155550199">+1 415 555 0199</a>.</p>
  <a href="https://www.linkedin.com/company/nimbus-backup">LinkedIn</a>`;
document.title = "Nimbus Cloud Backup";
fetch("http://127.0.0.1:{PORT}/jsonly/beacon").catch(() => {});
