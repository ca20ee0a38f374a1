// The York listings exist only once this script has run: the HTML as served has none.
(function () {
  var plumbers = [
    { name: "Minster Plumbing", tel: "01904 496 012", site: "https://minsterplumbing.example/", addr: "1 Petergate, York YO1 7HU" },
    { name: "Ouse Valley Heating", tel: "01904 496 034", site: "https://ousevalleyheating.example/", addr: "40 Bishopthorpe Road, York YO23 1JJ" }
  ];
  var results = document.getElementById("results");
  plumbers.forEach(function (plumber) {
    var listing = document.createElement("div");
    listing.className = "listing";
    var name = document.createElement("h2");
    name.textContent = plumber.name;
    var tel = document.createElement("span");
    tel.className = "tel";
    tel.textContent = plumber.tel;
    var site = document.createElement("a");
    site.className = "site";
    site.href = plumber.site;
    site.textContent = "Visit website";
    var addr = document.createElement("p");
    addr.className = "addr";
    addr.textContent = plumber.addr;
    [name, tel, site, addr].forEach(function (part) { listing.appendChild(part); });
    results.appendChild(listing);
  });
})();
