"""The fixed pools `manage.py seed_demo` draws from: fictional companies, names, titles, notes and tasks."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

import phonenumbers

from leadflow.roles import Role

DEMO_PASSWORD = "leadflow-demo"  # noqa: S105 - a published demo-only password, printed by the command

# (email, first name, last name, role); the seed makes them if they are missing.
DEMO_USERS = [
    ("mia@demo.leadflow", "Mia", "Thompson", Role.MANAGER),
    ("alice@demo.leadflow", "Alice", "Chen", Role.REP),
    ("bob@demo.leadflow", "Bob", "Okafor", Role.REP),
    ("vic@demo.leadflow", "Vic", "Ramos", Role.VIEWER),
]
# Where each demo person works, so their pages show times in their own zone; Alice keeps the site's.
DEMO_TIME_ZONES = {
    "mia@demo.leadflow": "Europe/London",
    "bob@demo.leadflow": "Asia/Kolkata",
    "vic@demo.leadflow": "America/New_York",
}
# The demo team reports deal values in euros (Settings, General tab); an admin's own choice is never overwritten.
DEMO_CURRENCY = "EUR"

SOURCES = ["csv_import", "linkedin", "google_maps", "website", "meta_ads", "referral", "manual"]
SOURCE_WEIGHTS = [24, 26, 9, 15, 8, 8, 10]
# Sources where a machine captured the lead (no human actor on "Created"); the rest were added by a person.
CAPTURED_SOURCES = {"csv_import", "linkedin", "google_maps", "website", "meta_ads"}


@dataclass(frozen=True)
class City:
    name: str
    region: str  # state or county shown after the city, may be empty
    country: str
    time_zone: str
    # Phone patterns in E.164, "#" is a random digit. Where the regulator keeps numbers for fiction
    # (US/CA 555-01xx, Ofcom's drama ranges, Germany's Bundesnetzagentur film ranges, ACMA's 5550) we use them.
    office_phone: str
    mobile_phone: str = ""

    @property
    def location(self) -> str:
        return ", ".join(part for part in (self.name, self.region, self.country) if part)


CITIES = {
    "austin": City("Austin", "TX", "United States", "America/Chicago", "+151255501##"),
    "savannah": City("Savannah", "GA", "United States", "America/New_York", "+191255501##"),
    "new_york": City("New York", "NY", "United States", "America/New_York", "+121255501##"),
    "denver": City("Denver", "CO", "United States", "America/Denver", "+130355501##"),
    "portland": City("Portland", "OR", "United States", "America/Los_Angeles", "+150355501##"),
    "san_francisco": City("San Francisco", "CA", "United States", "America/Los_Angeles", "+141555501##"),
    "chicago": City("Chicago", "IL", "United States", "America/Chicago", "+131255501##"),
    "miami": City("Miami", "FL", "United States", "America/New_York", "+130555501##"),
    "boston": City("Boston", "MA", "United States", "America/New_York", "+161755501##"),
    "seattle": City("Seattle", "WA", "United States", "America/Los_Angeles", "+120655501##"),
    "london": City("London", "", "United Kingdom", "Europe/London", "+442079460###"),
    "leeds": City("Leeds", "", "United Kingdom", "Europe/London", "+441134960###"),
    "manchester": City("Manchester", "", "United Kingdom", "Europe/London", "+441614960###"),
    "bristol": City("Bristol", "", "United Kingdom", "Europe/London", "+441174960###"),
    "aberdeen": City("Aberdeen", "Scotland", "United Kingdom", "Europe/London", "+441314960###"),
    "mumbai": City("Mumbai", "Maharashtra", "India", "Asia/Kolkata", "+9122########", "+9198########"),
    "bengaluru": City("Bengaluru", "Karnataka", "India", "Asia/Kolkata", "+9180########", "+9199########"),
    "hyderabad": City("Hyderabad", "Telangana", "India", "Asia/Kolkata", "+9140########", "+9197########"),
    "ahmedabad": City("Ahmedabad", "Gujarat", "India", "Asia/Kolkata", "+9179########", "+9198########"),
    "pune": City("Pune", "Maharashtra", "India", "Asia/Kolkata", "+9120########", "+9190########"),
    "berlin": City("Berlin", "", "Germany", "Europe/Berlin", "+493023125###"),
    "hamburg": City("Hamburg", "", "Germany", "Europe/Berlin", "+494066969###"),
    "munich": City("Munich", "Bavaria", "Germany", "Europe/Berlin", "+498999998###"),
    "cologne": City("Cologne", "", "Germany", "Europe/Berlin", "+492214710###"),
    "frankfurt": City("Frankfurt am Main", "", "Germany", "Europe/Berlin", "+496990009###"),
    "toronto": City("Toronto", "ON", "Canada", "America/Toronto", "+141655501##"),
    "sydney": City("Sydney", "NSW", "Australia", "Australia/Sydney", "+6125550####"),
    "amsterdam": City("Amsterdam", "", "Netherlands", "Europe/Amsterdam", "+3120#######", "+316########"),
    "singapore": City("Singapore", "", "Singapore", "Asia/Singapore", "+656#######", "+659#######"),
}

# Other cities a remote employee of a company in that country may live in.
REMOTE_CITIES = {
    "United States": ["new_york", "chicago", "seattle", "austin", "boston", "denver"],
    "United Kingdom": ["london", "manchester", "bristol", "leeds"],
    "India": ["bengaluru", "mumbai", "pune", "hyderabad"],
    "Germany": ["berlin", "munich", "hamburg", "cologne"],
}


@dataclass(frozen=True)
class CompanySeed:
    name: str
    domain: str
    industry: str
    size: str
    city: str
    description: str
    names: str  # which name pool most of its people come from


COMPANIES = [
    CompanySeed(
        "Brightline Analytics",
        "brightlineanalytics.com",
        "Software",
        "51-200",
        "austin",
        "Revenue analytics for mid-market SaaS finance teams.",
        "en",
    ),
    CompanySeed(
        "Harborpoint Logistics",
        "harborpointlogistics.com",
        "Logistics & Supply Chain",
        "501-1000",
        "savannah",
        "Port-side freight forwarding and bonded warehousing on the US East Coast.",
        "en",
    ),
    CompanySeed(
        "Copperleaf Payments",
        "copperleafpay.com",
        "Fintech",
        "201-500",
        "new_york",
        "Card issuing and spend management APIs for vertical SaaS platforms.",
        "en",
    ),
    CompanySeed(
        "Summit Ridge Health",
        "summitridgehealth.com",
        "Healthcare IT",
        "1001-5000",
        "denver",
        "Patient scheduling and revenue-cycle software for regional hospital groups.",
        "en",
    ),
    CompanySeed(
        "Redwood Forge",
        "redwoodforge.com",
        "Industrial Manufacturing",
        "201-500",
        "portland",
        "Precision forged components for agricultural and mining equipment.",
        "en",
    ),
    CompanySeed(
        "Lumenstack",
        "lumenstack.io",
        "Developer Tools",
        "11-50",
        "san_francisco",
        "Observability for serverless and edge workloads.",
        "en",
    ),
    CompanySeed(
        "Northgate Insurance Group",
        "northgateins.com",
        "Insurance",
        "1001-5000",
        "chicago",
        "Commercial property and casualty insurance for Midwest businesses.",
        "en",
    ),
    CompanySeed(
        "Pixelmint Studio",
        "pixelmint.co",
        "Marketing & Advertising",
        "11-50",
        "miami",
        "Performance creative agency for DTC and B2B brands.",
        "en",
    ),
    CompanySeed(
        "Clearwater Cyber",
        "clearwatercyber.com",
        "Cybersecurity",
        "51-200",
        "boston",
        "Managed detection and response for healthcare and education.",
        "en",
    ),
    CompanySeed(
        "Thamesbridge Capital",
        "thamesbridgecapital.co.uk",
        "Financial Services",
        "201-500",
        "london",
        "Asset-based lending for UK SMEs.",
        "en",
    ),
    CompanySeed(
        "Ledgerly",
        "ledgerly.co.uk",
        "Fintech",
        "51-200",
        "london",
        "Automated bookkeeping and VAT returns for agencies and consultancies.",
        "en",
    ),
    CompanySeed(
        "Pennine Foods",
        "penninefoods.co.uk",
        "Food & Beverage",
        "501-1000",
        "leeds",
        "Own-label chilled food supplier to UK grocery chains.",
        "en",
    ),
    CompanySeed(
        "Kestrel HR",
        "kestrelhr.com",
        "HR Tech",
        "51-200",
        "manchester",
        "Shift scheduling and payroll for hospitality groups.",
        "en",
    ),
    CompanySeed(
        "Orbital Learning",
        "orbitallearning.co.uk",
        "EdTech",
        "11-50",
        "bristol",
        "Adaptive maths tutoring for secondary schools.",
        "en",
    ),
    CompanySeed(
        "Caledonian Energy Services",
        "caledonianenergy.co.uk",
        "Energy",
        "1001-5000",
        "aberdeen",
        "Offshore wind maintenance and decommissioning services.",
        "en",
    ),
    CompanySeed(
        "Vayu Logistics",
        "vayulogistics.in",
        "Logistics & Supply Chain",
        "501-1000",
        "mumbai",
        "Last-mile delivery network for e-commerce across tier-2 Indian cities.",
        "in",
    ),
    CompanySeed(
        "Nimbus Cloudworks",
        "nimbuscloudworks.in",
        "IT Services",
        "1001-5000",
        "bengaluru",
        "Cloud migration and managed Kubernetes for BFSI clients.",
        "in",
    ),
    CompanySeed(
        "PaisaGrid",
        "paisagrid.in",
        "Fintech",
        "201-500",
        "bengaluru",
        "UPI collections and reconciliation for B2B distributors.",
        "in",
    ),
    CompanySeed(
        "Sarthi Health",
        "sarthihealth.in",
        "Healthcare",
        "201-500",
        "hyderabad",
        "Diagnostic lab chain with home sample collection.",
        "in",
    ),
    CompanySeed(
        "Tarang Textiles",
        "tarangtextiles.com",
        "Textiles & Apparel",
        "501-1000",
        "ahmedabad",
        "Cotton yarn and fabric exporter to Europe and the US.",
        "in",
    ),
    CompanySeed(
        "Kaveri Agritech",
        "kaveriagritech.in",
        "Agritech",
        "51-200",
        "pune",
        "Farm-gate procurement and crop advisory app for FPOs.",
        "in",
    ),
    CompanySeed(
        "Rheinfeld Automation GmbH",
        "rheinfeld-automation.de",
        "Industrial Automation",
        "501-1000",
        "cologne",
        "PLC retrofits and robotic cells for automotive suppliers.",
        "de",
    ),
    CompanySeed(
        "Alpenblick Software GmbH",
        "alpenblick-software.de",
        "Software",
        "51-200",
        "munich",
        "ERP add-ons for Mittelstand manufacturers.",
        "de",
    ),
    CompanySeed(
        "Hansekontor Logistik",
        "hansekontor.de",
        "Logistics & Supply Chain",
        "201-500",
        "hamburg",
        "Container drayage and customs brokerage at the Port of Hamburg.",
        "de",
    ),
    CompanySeed(
        "Zahlwerk",
        "zahlwerk.de",
        "Fintech",
        "51-200",
        "berlin",
        "Embedded invoicing and dunning for German marketplaces.",
        "de",
    ),
    CompanySeed(
        "Taunus Medizintechnik GmbH",
        "taunus-medtech.de",
        "Medical Devices",
        "201-500",
        "frankfurt",
        "Single-use surgical instruments and sterilisation logistics.",
        "de",
    ),
    CompanySeed(
        "Maple & Pine Retail",
        "mapleandpine.ca",
        "Retail",
        "501-1000",
        "toronto",
        "Outdoor apparel retailer with 40 stores across Canada.",
        "en",
    ),
    CompanySeed(
        "Southern Cross Freight",
        "southerncrossfreight.com.au",
        "Logistics & Supply Chain",
        "201-500",
        "sydney",
        "Refrigerated road freight between Sydney, Melbourne and Brisbane.",
        "en",
    ),
    CompanySeed(
        "Polder Data BV",
        "polderdata.nl",
        "Data & Analytics",
        "51-200",
        "amsterdam",
        "Data platform consultancy for Benelux retailers.",
        "nl",
    ),
    CompanySeed(
        "Lion City Payments",
        "lioncitypay.sg",
        "Fintech",
        "51-200",
        "singapore",
        "Cross-border B2B payouts for Southeast Asian exporters.",
        "sg",
    ),
]

# Contacts per company by headcount band, and the deal size band (in the account's currency) for it.
PEOPLE_PER_SIZE = {
    "11-50": (7, 10),
    "51-200": (10, 13),
    "201-500": (12, 15),
    "501-1000": (13, 17),
    "1001-5000": (16, 20),
}
DEAL_RANGE_PER_SIZE = {
    "11-50": (4_000, 18_000),
    "51-200": (9_000, 45_000),
    "201-500": (18_000, 90_000),
    "501-1000": (30_000, 140_000),
    "1001-5000": (45_000, 260_000),
}

FIRST_NAMES = {
    "en": [
        "James",
        "Emily",
        "Michael",
        "Sarah",
        "David",
        "Jessica",
        "Daniel",
        "Laura",
        "Ryan",
        "Hannah",
        "Chris",
        "Megan",
        "Tom",
        "Olivia",
        "Jack",
        "Sophie",
        "Matthew",
        "Rachel",
        "Andrew",
        "Grace",
        "Kevin",
        "Natalie",
        "Ben",
        "Chloe",
        "Marcus",
        "Jasmine",
        "Ethan",
        "Lucy",
        "Nathan",
        "Amelia",
        "Oliver",
        "Charlotte",
        "Luis",
        "Maria",
        "Jordan",
        "Taylor",
        "Aaron",
        "Brooke",
        "Simon",
        "Fiona",
    ],
    "in": [
        "Aarav",
        "Priya",
        "Rohan",
        "Ananya",
        "Vikram",
        "Sneha",
        "Arjun",
        "Kavya",
        "Rahul",
        "Pooja",
        "Siddharth",
        "Neha",
        "Karthik",
        "Divya",
        "Amit",
        "Ishita",
        "Nikhil",
        "Meera",
        "Aditya",
        "Shreya",
        "Varun",
        "Riya",
        "Manish",
        "Lakshmi",
        "Sanjay",
        "Tanvi",
        "Harsh",
        "Deepika",
    ],
    "de": [
        "Jonas",
        "Lena",
        "Lukas",
        "Anna",
        "Felix",
        "Katharina",
        "Maximilian",
        "Julia",
        "Tobias",
        "Sophie",
        "Jürgen",
        "Sabine",
        "Florian",
        "Miriam",
        "Stefan",
        "Nicole",
        "Matthias",
        "Franziska",
        "Sebastian",
        "Carolin",
    ],
    "nl": ["Daan", "Sanne", "Bram", "Fleur", "Thijs", "Lotte", "Joost", "Eva", "Ruben", "Iris", "Jeroen", "Anouk"],
    "sg": ["Wei Jie", "Hui Min", "Jun Hao", "Xin Yi", "Arjun", "Nurul", "Darren", "Michelle", "Farhan", "Rachel"],
}
LAST_NAMES = {
    "en": [
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Miller",
        "Davis",
        "Wilson",
        "Anderson",
        "Taylor",
        "Thomas",
        "Moore",
        "Jackson",
        "Martin",
        "Lee",
        "Walker",
        "Hall",
        "Young",
        "King",
        "Wright",
        "Scott",
        "Green",
        "Baker",
        "Adams",
        "Nelson",
        "Carter",
        "Mitchell",
        "Roberts",
        "Turner",
        "Phillips",
        "Campbell",
        "Evans",
        "Hughes",
        "Patel",
        "Nguyen",
        "Garcia",
        "Murphy",
        "O'Brien",
        "Kowalski",
        "Fraser",
        "Bennett",
    ],
    "in": [
        "Sharma",
        "Verma",
        "Iyer",
        "Reddy",
        "Nair",
        "Gupta",
        "Mehta",
        "Shah",
        "Rao",
        "Kulkarni",
        "Menon",
        "Joshi",
        "Chatterjee",
        "Banerjee",
        "Desai",
        "Agarwal",
        "Pillai",
        "Kapoor",
        "Malhotra",
        "Krishnan",
        "Bhat",
        "Singh",
    ],
    "de": [
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Koch",
        "Richter",
        "Klein",
        "Wolf",
        "Schröder",
        "Neumann",
        "Braun",
        "Zimmermann",
        "Krüger",
        "Hartmann",
    ],
    "nl": ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer"],
    "sg": ["Tan", "Lim", "Ng", "Lee", "Goh", "Chua", "Ong", "Rahman", "Kumar", "Koh"],
}
# Teams are mixed: a company draws a share of its people from the other pools.
FOREIGN_NAME_SHARE = 0.2

# (title, weight, decision maker?)
TITLES = [
    ("CEO", 2, True),
    ("Co-founder & CEO", 1, True),
    ("CTO", 2, True),
    ("CFO", 2, True),
    ("COO", 1, True),
    ("VP Sales", 4, True),
    ("VP Marketing", 3, True),
    ("VP Engineering", 2, True),
    ("Head of Growth", 4, True),
    ("Head of Sales", 4, True),
    ("Head of Operations", 3, True),
    ("Head of Procurement", 2, True),
    ("Director of IT", 2, True),
    ("Sales Director", 3, True),
    ("Revenue Operations Manager", 3, False),
    ("Marketing Manager", 4, False),
    ("Operations Manager", 3, False),
    ("Procurement Manager", 3, False),
    ("IT Manager", 3, False),
    ("Account Executive", 4, False),
    ("Business Development Manager", 4, False),
    ("Product Manager", 3, False),
    ("Finance Manager", 2, False),
    ("Customer Success Manager", 2, False),
]
GERMAN_TITLES = [("Geschäftsführer", 2, True), ("Leiter Vertrieb", 3, True), ("Leiterin Einkauf", 2, True)]

INDUSTRY_TAGS = {
    "Fintech": "fintech",
    "Financial Services": "finance",
    "Software": "saas",
    "Developer Tools": "saas",
    "HR Tech": "saas",
    "Logistics & Supply Chain": "logistics",
    "Healthcare IT": "healthcare",
    "Healthcare": "healthcare",
    "Medical Devices": "healthcare",
    "Industrial Manufacturing": "manufacturing",
    "Industrial Automation": "manufacturing",
}

# (body, tags); {first} is the lead's first name, {company} the company's name.
NOTES = [
    ("Intro call with {first}: current tool is a spreadsheet plus HubSpot free, pain is lead routing.", "call"),
    ("{first} asked for pricing for 25 seats and an annual plan. Sent the deck.", "pricing"),
    ("Budget is frozen until the next quarter; {first} suggested checking back in six weeks.", "budget, timing"),
    ("{company} is evaluating two other vendors; security review will be the deciding step.", "competition"),
    ("{first} wants SSO and an audit log before legal will sign.", "security, objection"),
    ("Met {first} at the booth, very interested in the enrichment waterfall.", "event"),
    ("Referred by an existing customer; warm intro, {first} replied the same day.", "referral"),
    ("Decision maker is the CFO, {first} is the champion. Need a business case with ROI numbers.", "champion"),
    ("{first} said the timing is wrong: they are mid-migration to a new ERP.", "timing"),
    ("Demo went well. {first} liked the Kanban board and sequence analytics; asked about API limits.", "demo"),
    ("Procurement needs a vendor form and an ISO 27001 certificate from us.", "procurement"),
    ("{first} moved teams; the new owner for this at {company} is still unclear.", "follow-up"),
    ("Left a voicemail, then a short email with the case study from a similar {company}-sized team.", "call"),
    ("Trial started for 5 users; check usage next week.", "trial"),
    (
        "Pricing objection: {first} compares us with a per-contact tool. Explained the flat seat model.",
        "pricing, objection",
    ),
]

# (kind, title template)
# Why deals were lost, as reps write it when they move a card to Lost.
LOST_REASONS = [
    "Chose a competitor on price",
    "No budget this year",
    "Went quiet after the proposal",
    "Built it in-house",
    "Timing: revisit next quarter",
    "Champion left the company",
]

TASKS = [
    ("call", "Call {first} about next steps"),
    ("email", "Send the case study to {first}"),
    ("meeting", "Demo with {company}"),
    ("follow_up", "Follow up on the proposal with {first}"),
    ("follow_up", "Check in after the trial at {company}"),
    ("email", "Share pricing for the annual plan"),
    ("call", "Qualify budget and timeline with {first}"),
    ("other", "Prepare security questionnaire for {company}"),
]

# (name, folder, description, tags); members are chosen by the seed command.
LISTS = [
    ("Q3 webinar attendees", "Events", "Signed up for 'Pipeline hygiene for RevOps teams' (September).", "webinar, q3"),
    ("London Sales Summit booth scans", "Events", "Badges scanned at our stand, day one and two.", "event"),
    ("Fintech decision makers", "Segments", "Heads of and above at fintech and finance accounts.", "fintech"),
    ("DACH expansion targets", "Segments", "German accounts for the Q4 DACH push.", "dach"),
    ("Hot accounts - Q4 push", "Pipeline", "Hot leads in open stages the team reviews every Monday.", "priority"),
]
# Lists someone other than Mia created (she still fills them in: a rep adds only leads of their own). Only the
# owner, managers and admins may rename or archive a list, so Bob sees no such controls on Alice's list.
LIST_OWNERS = {"London Sales Summit booth scans": "alice"}


def ascii_slug(text: str, separator: str = ".") -> str:
    """Lower-case ASCII for emails and URLs: "Jürgen O'Brien" becomes "juergen.obrien"."""
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = ["".join(ch for ch in word if ch.isalnum()) for word in text.lower().split()]
    return separator.join(word for word in words if word)


def phone_from_pattern(rng: random.Random, pattern: str) -> str:
    """A number in the pattern's range that phonenumbers accepts (some ranges have unassigned blocks)."""
    while True:
        number = "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in pattern)
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number
