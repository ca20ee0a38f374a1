"""The words the benchmarks' made-up company names are made of; names repeat across companies, as in life."""

# fmt: off
NAME_PARTS = [
    "Blue", "North", "Bright", "Iron", "Silver", "Harbor", "Summit", "Cedar", "Granite", "Apex", "Crescent", "Pioneer",
    "Vertex", "Maple", "Falcon", "Atlas", "Meridian", "Beacon", "Evergreen", "Keystone", "Horizon", "Redwood",
    "Sterling", "Orchard", "Lakeside", "Copper", "Quarry", "Nimbus", "Polar",
]
NAME_NOUNS = [
    "Analytics", "Logistics", "Payments", "Foods", "Robotics", "Health", "Systems", "Labs", "Energy", "Capital",
    "Freight", "Software", "Media", "Materials", "Devices", "Networks", "Studios", "Partners", "Works", "Dynamics",
]
NAME_SUFFIXES = ["Inc", "Ltd", "GmbH", "LLC", "Pvt Ltd", "BV", "Pte Ltd", "Group", "", "Inc."]
# fmt: on
