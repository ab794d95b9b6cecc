"""Vocabulary of the demo data set: the category tree, cities, opening-hour profiles, phrases.

Names and words here make the generated directory look real: a pizzeria is called one and
mentions pizza, a bar stays open past midnight, businesses cluster around real US cities.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubCategory:
    slug: str
    name: str
    nouns: tuple[str, ...]
    """Words a business of this kind calls itself by ("Pizzeria", "Pizza Kitchen")."""
    keywords: tuple[str, ...]
    """What people search for; descriptions and tags use them."""
    hours: str
    """Key into HOURS_PROFILES."""


@dataclass(frozen=True)
class TopCategory:
    slug: str
    name: str
    icon: str
    children: tuple[SubCategory, ...]


CATEGORIES: tuple[TopCategory, ...] = (
    TopCategory("restaurants", "Restaurants", "utensils", (
        SubCategory("pizza", "Pizza", ("Pizzeria", "Pizza Co.", "Pizza Kitchen", "Slice House"),
                    ("pizza", "wood-fired", "calzone", "delivery"), "restaurant"),
        SubCategory("mexican", "Mexican", ("Taqueria", "Cantina", "Mexican Grill", "Tacos"),
                    ("tacos", "burritos", "mexican", "salsa"), "restaurant"),
        SubCategory("italian", "Italian", ("Trattoria", "Ristorante", "Osteria", "Pasta House"),
                    ("pasta", "italian", "lasagna", "wine"), "restaurant"),
        SubCategory("chinese", "Chinese", ("Dumpling House", "Noodle Bar", "Wok", "Garden"),
                    ("dumplings", "noodles", "chinese", "dim sum"), "restaurant"),
        SubCategory("sushi", "Japanese & Sushi", ("Sushi Bar", "Ramen", "Izakaya", "Sushi"),
                    ("sushi", "ramen", "japanese", "sashimi"), "restaurant"),
        SubCategory("cafes", "Cafés & Coffee", ("Café", "Coffee Roasters", "Espresso Bar", "Coffee House"),
                    ("coffee", "espresso", "café", "pastries"), "cafe"),
        SubCategory("bakeries", "Bakeries", ("Bakery", "Bake Shop", "Patisserie", "Bread Co."),
                    ("bread", "bakery", "croissants", "cakes"), "cafe"),
        SubCategory("burgers", "Burgers", ("Burger Joint", "Burgers", "Grill", "Diner"),
                    ("burgers", "fries", "milkshakes", "grill"), "restaurant"),
        SubCategory("bars", "Bars & Pubs", ("Tavern", "Pub", "Taproom", "Lounge"),
                    ("bar", "craft beer", "cocktails", "happy hour"), "bar"),
    )),
    TopCategory("health-medical", "Health & Medical", "heart", (
        SubCategory("dentists", "Dentists", ("Dental", "Family Dentistry", "Dental Care", "Smiles"),
                    ("dentist", "teeth cleaning", "orthodontics", "dental implants"), "office"),
        SubCategory("doctors", "Family Doctors", ("Family Medicine", "Medical Group", "Health Clinic", "Primary Care"),
                    ("doctor", "physician", "checkup", "family medicine"), "office"),
        SubCategory("pharmacies", "Pharmacies", ("Pharmacy", "Drug Store", "Apothecary", "Rx"),
                    ("pharmacy", "prescriptions", "vaccinations", "drugstore"), "retail"),
        SubCategory("chiropractors", "Chiropractors", ("Chiropractic", "Spine Center", "Back Care", "Wellness"),
                    ("chiropractor", "back pain", "spine", "adjustment"), "office"),
        SubCategory("optometrists", "Optometrists", ("Eye Care", "Optometry", "Vision Center", "Optical"),
                    ("optometrist", "eye exam", "glasses", "contact lenses"), "office"),
        SubCategory("urgent-care", "Urgent Care", ("Urgent Care", "Walk-In Clinic", "Express Care", "MedCenter"),
                    ("urgent care", "walk-in", "x-ray", "stitches"), "always"),
    )),
    TopCategory("home-services", "Home Services", "home", (
        SubCategory("plumbers", "Plumbers", ("Plumbing", "Plumbing & Drain", "Pipe Works", "Rooter"),
                    ("plumber", "leak repair", "water heater", "drain cleaning"), "trades"),
        SubCategory("electricians", "Electricians", ("Electric", "Electrical Services", "Wiring Co.", "Power"),
                    ("electrician", "wiring", "panel upgrade", "lighting"), "trades"),
        SubCategory("hvac", "Heating & Air Conditioning", ("Heating & Air", "HVAC", "Climate Control", "Comfort Systems"),
                    ("hvac", "air conditioning", "furnace", "heating"), "trades"),
        SubCategory("landscaping", "Landscaping", ("Landscaping", "Lawn Care", "Gardens", "Yard Works"),
                    ("landscaping", "lawn mowing", "gardening", "tree trimming"), "trades"),
        SubCategory("cleaning", "House Cleaning", ("Cleaning", "Maids", "Cleaning Co.", "Home Care"),
                    ("house cleaning", "maid service", "deep cleaning", "move-out cleaning"), "trades"),
        SubCategory("roofing", "Roofing", ("Roofing", "Roofers", "Roof Repair", "Exteriors"),
                    ("roofing", "roof repair", "gutters", "shingles"), "trades"),
        SubCategory("locksmiths", "Locksmiths", ("Locksmith", "Lock & Key", "Security Locks", "Keys"),
                    ("locksmith", "lockout", "rekeying", "key cutting"), "always"),
    )),
    TopCategory("automotive", "Automotive", "car", (
        SubCategory("auto-repair", "Auto Repair", ("Auto Repair", "Garage", "Auto Service", "Motors"),
                    ("auto repair", "mechanic", "brakes", "oil change"), "auto"),
        SubCategory("car-wash", "Car Wash", ("Car Wash", "Auto Spa", "Detailing", "Wash & Wax"),
                    ("car wash", "detailing", "waxing", "interior cleaning"), "retail"),
        SubCategory("tires", "Tire Shops", ("Tire", "Tire & Wheel", "Tire Center", "Wheels"),
                    ("tires", "wheel alignment", "tire rotation", "flat repair"), "auto"),
        SubCategory("body-shops", "Body Shops", ("Collision", "Body Shop", "Auto Body", "Paint & Body"),
                    ("collision repair", "auto body", "dent repair", "paint"), "auto"),
        SubCategory("towing", "Towing", ("Towing", "Tow & Recovery", "Roadside", "Wrecker"),
                    ("towing", "roadside assistance", "jump start", "recovery"), "always"),
        SubCategory("gas-stations", "Gas Stations", ("Fuel", "Gas & Go", "Petroleum", "Fuel Stop"),
                    ("gas station", "fuel", "convenience store", "diesel"), "late"),
    )),
    TopCategory("professional", "Professional Services", "briefcase", (
        SubCategory("lawyers", "Lawyers", ("Law Firm", "Law Group", "Legal", "Attorneys at Law"),
                    ("lawyer", "attorney", "legal advice", "estate planning"), "office"),
        SubCategory("accountants", "Accountants", ("Accounting", "CPA", "Tax Services", "Bookkeeping"),
                    ("accountant", "tax preparation", "bookkeeping", "cpa"), "office"),
        SubCategory("real-estate", "Real Estate Agents", ("Realty", "Real Estate", "Properties", "Homes"),
                    ("real estate", "realtor", "home buying", "listings"), "office"),
        SubCategory("insurance", "Insurance Agents", ("Insurance", "Insurance Agency", "Coverage", "Assurance"),
                    ("insurance", "auto insurance", "home insurance", "life insurance"), "office"),
        SubCategory("marketing", "Marketing Agencies", ("Marketing", "Creative", "Digital", "Media"),
                    ("marketing", "web design", "seo", "branding"), "office"),
        SubCategory("notaries", "Notaries", ("Notary", "Notary Services", "Signing Services", "Document Center"),
                    ("notary", "notary public", "apostille", "document signing"), "office"),
    )),
)


@dataclass(frozen=True)
class City:
    name: str
    state: str
    latitude: float
    longitude: float
    timezone: str
    weight: int
    """Relative share of businesses (roughly by population)."""
    zip_prefix: str


CITIES: tuple[City, ...] = (
    City("New York", "NY", 40.7128, -74.0060, "America/New_York", 30, "100"),
    City("Los Angeles", "CA", 34.0522, -118.2437, "America/Los_Angeles", 22, "900"),
    City("Chicago", "IL", 41.8781, -87.6298, "America/Chicago", 16, "606"),
    City("Houston", "TX", 29.7604, -95.3698, "America/Chicago", 13, "770"),
    City("Phoenix", "AZ", 33.4484, -112.0740, "America/Phoenix", 10, "850"),
    City("Philadelphia", "PA", 39.9526, -75.1652, "America/New_York", 9, "191"),
    City("San Antonio", "TX", 29.4241, -98.4936, "America/Chicago", 8, "782"),
    City("San Diego", "CA", 32.7157, -117.1611, "America/Los_Angeles", 8, "921"),
    City("Dallas", "TX", 32.7767, -96.7970, "America/Chicago", 8, "752"),
    City("Austin", "TX", 30.2672, -97.7431, "America/Chicago", 6, "787"),
    City("San Francisco", "CA", 37.7749, -122.4194, "America/Los_Angeles", 6, "941"),
    City("Seattle", "WA", 47.6062, -122.3321, "America/Los_Angeles", 6, "981"),
    City("Denver", "CO", 39.7392, -104.9903, "America/Denver", 6, "802"),
    City("Boston", "MA", 42.3601, -71.0589, "America/New_York", 5, "021"),
    City("Nashville", "TN", 36.1627, -86.7816, "America/Chicago", 5, "372"),
    City("Portland", "OR", 45.5152, -122.6784, "America/Los_Angeles", 5, "972"),
    City("Atlanta", "GA", 33.7490, -84.3880, "America/New_York", 4, "303"),
    City("Miami", "FL", 25.7617, -80.1918, "America/New_York", 4, "331"),
    City("Minneapolis", "MN", 44.9778, -93.2650, "America/Chicago", 3, "554"),
    City("Salt Lake City", "UT", 40.7608, -111.8910, "America/Denver", 2, "841"),
    City("Honolulu", "HI", 21.3069, -157.8583, "Pacific/Honolulu", 2, "968"),
    City("Anchorage", "AK", 61.2181, -149.9003, "America/Anchorage", 1, "995"),
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Interval = tuple[str, str]
# Each profile lists weekly schedules to pick from: day -> intervals (absent day = closed).
HOURS_PROFILES: dict[str, tuple[dict[str, list[Interval]], ...]] = {
    "restaurant": (
        {d: [("11:00", "22:00")] for d in WEEKDAYS} | {"fri": [("11:00", "23:30")], "sat": [("11:00", "23:30")]},
        {d: [("11:30", "14:30"), ("17:00", "22:00")] for d in WEEKDAYS if d != "mon"},
        {d: [("10:00", "21:00")] for d in WEEKDAYS},
    ),
    "cafe": (
        {d: [("06:30", "15:00")] for d in WEEKDAYS},
        {d: [("07:00", "18:00")] for d in WEEKDAYS[:5]} | {"sat": [("08:00", "16:00")], "sun": [("08:00", "14:00")]},
    ),
    "bar": (
        {d: [("16:00", "02:00")] for d in WEEKDAYS},
        {d: [("17:00", "00:00")] for d in WEEKDAYS[:4]} | {"fri": [("15:00", "03:00")], "sat": [("12:00", "03:00")]},
    ),
    "office": (
        {d: [("09:00", "17:00")] for d in WEEKDAYS[:5]},
        {d: [("08:00", "12:00"), ("13:00", "17:30")] for d in WEEKDAYS[:5]},
        {d: [("08:30", "18:00")] for d in WEEKDAYS[:5]} | {"sat": [("09:00", "13:00")]},
    ),
    "retail": (
        {d: [("08:00", "21:00")] for d in WEEKDAYS[:6]} | {"sun": [("10:00", "18:00")]},
        {d: [("09:00", "19:00")] for d in WEEKDAYS},
    ),
    "trades": (
        {d: [("07:00", "18:00")] for d in WEEKDAYS[:6]},
        {d: [("08:00", "17:00")] for d in WEEKDAYS[:5]},
    ),
    "auto": (
        {d: [("07:30", "18:00")] for d in WEEKDAYS[:5]} | {"sat": [("08:00", "14:00")]},
        {d: [("08:00", "17:30")] for d in WEEKDAYS[:6]},
    ),
    "always": ({d: [("00:00", "00:00")] for d in WEEKDAYS},),
    "late": (
        {d: [("05:00", "23:00")] for d in WEEKDAYS},
        {d: [("00:00", "00:00")] for d in WEEKDAYS},
    ),
}

PHOTO_CAPTIONS = ("Our storefront", "Inside", "The team", "A favourite", "On a busy day", "Seasonal special")

ADJECTIVES = (
    "Golden", "Main Street", "Corner", "Family", "Sunrise", "Evergreen", "Liberty", "Union",
    "Riverside", "Hometown", "Blue Door", "Oak Street", "Lakeside", "Summit", "Harbor",
    "Downtown", "Old Town", "Maple", "Cedar", "Pioneer", "Keystone", "Bright", "Northside",
)

REVIEW_TITLES: dict[int, tuple[str, ...]] = {
    5: ("Absolutely fantastic", "Best in town", "Highly recommend", "Exceeded expectations"),
    4: ("Really good", "Solid choice", "Would come back", "Very pleasant"),
    3: ("Decent", "It was okay", "Mixed feelings", "Average experience"),
    2: ("Disappointing", "Not great", "Expected more", "Needs improvement"),
    1: ("Terrible experience", "Avoid", "Very poor", "Would not return"),
}

REVIEW_OPENERS: dict[int, tuple[str, ...]] = {
    5: ("Wonderful experience from start to finish.", "I can't say enough good things.",
        "This place is a gem."),
    4: ("Overall a very good visit.", "Good experience with a few small hiccups.",
        "Pleased with how things went."),
    3: ("It was fine, nothing special.", "Some things were good, some not.",
        "An average visit overall."),
    2: ("Not what I hoped for.", "Several things went wrong.", "I left a bit frustrated."),
    1: ("One of the worst experiences I've had.", "Very unhappy with this visit.",
        "I would not recommend this place."),
}

REVIEW_DETAILS: dict[int, tuple[str, ...]] = {
    5: ("The {kw} was outstanding and the staff were friendly.",
        "They really know {kw}; everything was done right the first time.",
        "Great {kw} and fair prices."),
    4: ("The {kw} was good, though we waited a little.", "Nice {kw}, friendly people.",
        "Quality {kw}; prices are a touch high."),
    3: ("The {kw} was okay.", "{kw} was fine but the service was slow.",
        "Nothing wrong with the {kw}, nothing memorable either."),
    2: ("The {kw} was below par.", "We had problems with the {kw} and nobody followed up.",
        "Overpriced {kw}."),
    1: ("The {kw} was a disaster.", "They got the {kw} completely wrong.",
        "Rude staff and bad {kw}."),
}

OWNER_REPLIES = (
    "Thank you for taking the time to share your experience!",
    "We appreciate your feedback and hope to see you again soon.",
    "Sorry to hear this. Please contact us so we can make it right.",
    "Thanks for the kind words; we've passed them on to the team.",
)
