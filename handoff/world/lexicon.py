"""Embedded word lists for the synthetic world: names, places, companies, titles.

Only common given names and family names appear here; nothing is real personal data.
"""

from __future__ import annotations

# --- given names and family names per name culture -------------------------------------------------------
FIRST_NAMES: dict[str, list[str]] = {
    "en": [
        "James", "Robert", "John", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
        "Christopher",
        "Charles", "Daniel", "Matthew", "Anthony", "Steven", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian",
        "Timothy", "Ronald", "Jason", "Jeffrey", "Ryan", "Jacob", "Nicholas", "Eric", "Jonathan", "Benjamin",
        "Samuel", "Patrick", "Alexander", "Edward", "Gregory", "Zachary", "Mary", "Patricia", "Jennifer",
        "Linda",
        "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen", "Nancy", "Margaret", "Lisa", "Sandra",
        "Ashley", "Kimberly", "Emily", "Michelle", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca",
        "Laura", "Katherine", "Christine", "Rachel", "Catherine", "Victoria", "Samantha", "Olivia", "Emma",
        "Zoë", "Renée", "Noah", "Liam", "Ethan", "Grace", "Hannah", "Megan", "Lauren", "Carlos", "Maria",
        "José", "Ana", "Wei", "Mei", "Hiroshi", "Yuki", "Aisha", "Omar", "Priya", "Chloé", "Siobhan", "Seán",
    ],
    "de": [
        "Lukas", "Maximilian", "Jonas", "Leon", "Felix", "Paul", "Finn", "Jürgen", "Günter", "Klaus",
        "Stefan",
        "Andreas", "Thomas", "Michael", "Sebastian", "Tobias", "Florian", "Anna", "Lena", "Lea", "Hannah",
        "Sophie", "Julia", "Laura", "Katharina", "Sabine", "Petra", "Ursula", "Jörg", "Björn", "Sören",
        "Dieter",
        "Käthe", "Matthias", "Alexander", "Elisabeth", "Christine", "Anja", "Monika", "Uwe",
    ],
    "fr": [
        "Jean", "Pierre", "Michel", "Philippe", "Nicolas", "François", "Julien", "Sébastien", "Thomas",
        "Antoine", "Mathieu", "Jérôme", "Stéphane", "Hélène", "Marie", "Nathalie", "Isabelle", "Sylvie",
        "Catherine", "Céline", "Émilie", "Camille", "Léa", "Chloé", "Manon", "Inès", "Zoé", "Gaël", "Loïc",
        "Noël", "Élodie", "Aurélien",
    ],
    "es": [
        "José", "Juan", "Antonio", "Manuel", "Francisco", "David", "Javier", "Daniel", "Carlos", "Miguel",
        "Alejandro", "Pablo", "Sergio", "Jorge", "Álvaro", "María", "Carmen", "Ana", "Lucía", "Laura",
        "Marta",
        "Elena", "Sofía", "Paula", "Inés", "Raúl", "Andrés", "Begoña",
    ],
    "pt": [
        "João", "Gonçalo", "Luís", "Tiago", "Pedro", "Lucas", "Rafael", "Gabriel", "Mateus", "Felipe",
        "Beatriz", "Mariana", "Fernanda", "Júlia", "Ana", "Camila", "Larissa", "Letícia", "Bruna", "Vitória",
    ],
    "nl": [
        "Daan", "Sem", "Lucas", "Levi", "Bram", "Jan", "Pieter", "Joost", "Sander", "Bas", "Emma", "Julia",
        "Sanne", "Anouk", "Fleur", "Lotte", "Femke", "Eva", "Noor", "Mila",
    ],
    "in": [
        "Aarav", "Vivaan", "Aditya", "Arjun", "Rohan", "Rahul", "Amit", "Sanjay", "Vikram", "Raj", "Priya",
        "Ananya", "Diya", "Kavya", "Neha", "Pooja", "Sneha", "Divya", "Lakshmi", "Deepika", "Karthik",
        "Suresh",
    ],
}

LAST_NAMES: dict[str, list[str]] = {
    "en": [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
        "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
        "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "O'Brien",
        "O'Connor", "Murphy", "Kelly", "Chen", "Wang", "Kim", "Patel", "Singh", "Cohen", "Evans", "Edwards",
        "Collins", "Stewart", "Morris", "Rogers", "Reed", "Cook", "Morgan", "Bell", "Cooper", "Richardson",
        "Cox", "Howard", "Ward", "Peterson", "Gray", "James", "Watson", "Brooks", "Sanders", "Price",
        "Bennett",
        "Wood", "Barnes", "Ross", "Henderson", "Coleman", "Jenkins", "Perry", "Powell", "Long", "Hughes",
        "Fitzgerald", "McDonald", "MacLeod", "Nakamura", "Tanaka", "Zhang", "Liu", "Park", "Müller", "Dubois",
    ],
    "de": [
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
        "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
        "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann",
        "Köhler", "Groß", "Weiß", "Jäger", "Vogel",
    ],
    "fr": [
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefèbvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
        "Fournier",
        "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Hébert",
    ],
    "es": [
        "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
        "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Álvarez", "Muñoz", "Romero", "Navarro",
        "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano", "Castillo", "Ortega", "Rubio",
    ],
    "pt": [
        "Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Ferreira", "Almeida", "Araújo",
        "Gonçalves",
        "Ribeiro", "Carvalho", "Rodrigues", "Lima", "Gomes", "Martins", "Barbosa", "Rocha", "Dias",
        "Conceição",
    ],
    "nl": [
        "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
        "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen",
        "Dekker",
        "Brouwer",
    ],
    "in": [
        "Sharma", "Verma", "Gupta", "Patel", "Singh", "Kumar", "Reddy", "Iyer", "Nair", "Rao", "Mehta",
        "Joshi",
        "Desai", "Kapoor", "Chopra", "Banerjee", "Mukherjee", "Das", "Bose", "Pillai", "Krishnan", "Menon",
    ],
}

NICKNAMES: dict[str, str] = {
    "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate", "Michael": "Mike",
    "James": "Jim", "Richard": "Rick", "Joseph": "Joe", "Thomas": "Tom", "Christopher": "Chris",
    "Daniel": "Dan", "Matthew": "Matt", "Anthony": "Tony", "Steven": "Steve", "Andrew": "Andy",
    "Joshua": "Josh", "Kenneth": "Ken", "Timothy": "Tim", "Ronald": "Ron", "Jeffrey": "Jeff",
    "Nicholas": "Nick", "Jonathan": "Jon", "Benjamin": "Ben", "Samuel": "Sam", "Patrick": "Pat",
    "Alexander": "Alex", "Edward": "Ed", "Gregory": "Greg", "Zachary": "Zach", "Jennifer": "Jen",
    "Margaret": "Maggie", "Susan": "Sue", "Jessica": "Jess", "Kimberly": "Kim", "Rebecca": "Becky",
    "Deborah": "Debbie", "Stephanie": "Steph", "Christine": "Chris", "Catherine": "Cathy",
    "Victoria": "Vicky",
    "Samantha": "Sam", "Francisco": "Paco", "José": "Pepe", "Maximilian": "Max", "Alejandro": "Alex",
    "Manuel": "Manu", "Katharina": "Kathi", "Florian": "Flo", "Matthias": "Matze", "Elisabeth": "Lisa",
}

# Characters folded when accents are dropped (José -> Jose, Müller -> Muller, Groß -> Gross).
ACCENT_FOLD: dict[str, str] = {
    "á": "a", "à": "a", "â": "a", "ä": "a", "ã": "a", "å": "a", "ç": "c", "é": "e", "è": "e", "ê": "e",
    "ë": "e", "í": "i", "ì": "i", "î": "i", "ï": "i", "ñ": "n", "ó": "o", "ò": "o", "ô": "o", "ö": "o",
    "õ": "o", "ø": "o", "ú": "u", "ù": "u", "û": "u", "ü": "u", "ß": "ss", "Á": "A", "À": "A", "Â": "A",
    "Ä": "A", "Ã": "A", "Ç": "C", "É": "E", "È": "E", "Ê": "E", "Í": "I", "Î": "I", "Ñ": "N", "Ó": "O",
    "Ô": "O", "Ö": "O", "Ú": "U", "Ü": "U", "Ø": "O",
}

# --- geography ------------------------------------------------------------------------------------------
# country code -> (name variants [canonical first], name culture, share of accounts, UTC offset minutes)
COUNTRIES: dict[str, tuple[list[str], str, float, int]] = {
    "US": (["United States", "USA", "US", "U.S."], "en", 0.60, -300),
    "GB": (["United Kingdom", "UK", "GB", "Great Britain"], "en", 0.08, 0),
    "DE": (["Germany", "Deutschland", "DE"], "de", 0.06, 60),
    "CA": (["Canada", "CA"], "en", 0.05, -300),
    "FR": (["France", "FR"], "fr", 0.04, 60),
    "AU": (["Australia", "AU"], "en", 0.04, 600),
    "IN": (["India", "IN"], "in", 0.04, 330),
    "NL": (["Netherlands", "The Netherlands", "NL"], "nl", 0.03, 60),
    "ES": (["Spain", "España", "ES"], "es", 0.03, 60),
    "BR": (["Brazil", "Brasil", "BR"], "pt", 0.03, -180),
}

# country -> list of (city, region code, region name, phone area code, time zone)
CITIES: dict[str, list[tuple[str, str, str, str, str]]] = {
    "US": [
        ("San Francisco", "CA", "California", "415", "America/Los_Angeles"),
        ("Los Angeles", "CA", "California", "213", "America/Los_Angeles"),
        ("San Jose", "CA", "California", "408", "America/Los_Angeles"),
        ("Seattle", "WA", "Washington", "206", "America/Los_Angeles"),
        ("Portland", "OR", "Oregon", "503", "America/Los_Angeles"),
        ("Denver", "CO", "Colorado", "303", "America/Denver"),
        ("Phoenix", "AZ", "Arizona", "602", "America/Phoenix"),
        ("Austin", "TX", "Texas", "512", "America/Chicago"),
        ("Dallas", "TX", "Texas", "214", "America/Chicago"),
        ("Chicago", "IL", "Illinois", "312", "America/Chicago"),
        ("Minneapolis", "MN", "Minnesota", "612", "America/Chicago"),
        ("New York", "NY", "New York", "212", "America/New_York"),
        ("Boston", "MA", "Massachusetts", "617", "America/New_York"),
        ("Atlanta", "GA", "Georgia", "404", "America/New_York"),
        ("Miami", "FL", "Florida", "305", "America/New_York"),
        ("Washington", "DC", "District of Columbia", "202", "America/New_York"),
        ("Philadelphia", "PA", "Pennsylvania", "215", "America/New_York"),
        ("Raleigh", "NC", "North Carolina", "919", "America/New_York"),
    ],
    "GB": [
        ("London", "ENG", "England", "20", "Europe/London"),
        ("Manchester", "ENG", "England", "161", "Europe/London"),
        ("Bristol", "ENG", "England", "117", "Europe/London"),
        ("Edinburgh", "SCT", "Scotland", "131", "Europe/London"),
        ("Cardiff", "WLS", "Wales", "29", "Europe/London"),
    ],
    "DE": [
        ("Berlin", "BE", "Berlin", "30", "Europe/Berlin"),
        ("München", "BY", "Bayern", "89", "Europe/Berlin"),
        ("Hamburg", "HH", "Hamburg", "40", "Europe/Berlin"),
        ("Frankfurt am Main", "HE", "Hessen", "69", "Europe/Berlin"),
        ("Köln", "NW", "Nordrhein-Westfalen", "221", "Europe/Berlin"),
    ],
    "CA": [
        ("Toronto", "ON", "Ontario", "416", "America/Toronto"),
        ("Vancouver", "BC", "British Columbia", "604", "America/Vancouver"),
        ("Montréal", "QC", "Québec", "514", "America/Toronto"),
        ("Calgary", "AB", "Alberta", "403", "America/Edmonton"),
    ],
    "FR": [
        ("Paris", "IDF", "Île-de-France", "1", "Europe/Paris"),
        ("Lyon", "ARA", "Auvergne-Rhône-Alpes", "4", "Europe/Paris"),
        ("Toulouse", "OCC", "Occitanie", "5", "Europe/Paris"),
        ("Nantes", "PDL", "Pays de la Loire", "2", "Europe/Paris"),
    ],
    "AU": [
        ("Sydney", "NSW", "New South Wales", "2", "Australia/Sydney"),
        ("Melbourne", "VIC", "Victoria", "3", "Australia/Melbourne"),
        ("Brisbane", "QLD", "Queensland", "7", "Australia/Brisbane"),
    ],
    "IN": [
        ("Bengaluru", "KA", "Karnataka", "80", "Asia/Kolkata"),
        ("Mumbai", "MH", "Maharashtra", "22", "Asia/Kolkata"),
        ("Hyderabad", "TG", "Telangana", "40", "Asia/Kolkata"),
        ("Pune", "MH", "Maharashtra", "20", "Asia/Kolkata"),
    ],
    "NL": [
        ("Amsterdam", "NH", "Noord-Holland", "20", "Europe/Amsterdam"),
        ("Rotterdam", "ZH", "Zuid-Holland", "10", "Europe/Amsterdam"),
        ("Utrecht", "UT", "Utrecht", "30", "Europe/Amsterdam"),
    ],
    "ES": [
        ("Madrid", "MD", "Madrid", "91", "Europe/Madrid"),
        ("Barcelona", "CT", "Cataluña", "93", "Europe/Madrid"),
        ("Valencia", "VC", "Comunitat Valenciana", "96", "Europe/Madrid"),
    ],
    "BR": [
        ("São Paulo", "SP", "São Paulo", "11", "America/Sao_Paulo"),
        ("Rio de Janeiro", "RJ", "Rio de Janeiro", "21", "America/Sao_Paulo"),
        ("Belo Horizonte", "MG", "Minas Gerais", "31", "America/Sao_Paulo"),
    ],
}

COUNTRY_TLD = {
    "US": ".us", "GB": ".co.uk", "DE": ".de", "CA": ".ca", "FR": ".fr", "AU": ".com.au", "IN": ".in",
    "NL": ".nl",
    "ES": ".es", "BR": ".com.br",
}
LEGAL_SUFFIX = {
    "US": ["Inc", "LLC", "Corp"], "GB": ["Ltd"], "DE": ["GmbH"], "CA": ["Inc", "Corp", "Ltd"], "FR": ["SA"],
    "AU": ["Ltd"], "IN": ["Ltd"], "NL": ["BV"], "ES": ["SA"], "BR": ["SA", "Ltd"],
}
STREET_NAMES = [
    "Main", "Market", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Mission",
    "Harbor", "River", "Sunset", "Broadway", "Church", "High", "Station", "King", "Queen", "Mill", "Bridge",
]
STREET_KINDS = ["St", "Ave", "Rd", "Blvd", "Way", "Lane", "Drive"]

# --- companies ------------------------------------------------------------------------------------------
BRAND_HEADS = [
    "Zen", "Quant", "Nova", "Lumi", "Veri", "Astra", "Bright", "Cobal", "Dyna", "Evo", "Flux", "Geo", "Helio",
    "Inno", "Juno", "Kine", "Lexi", "Magna", "Nexa", "Opti", "Pyra", "Quanta", "Rho", "Sigma", "Terra",
    "Ultra",
    "Vela", "Wave", "Xeno", "Yield", "Zeta", "Acu", "Brio", "Cala", "Delta", "Ecli", "Fora", "Gala", "Hexa",
    "Iri", "Jade", "Kora", "Lyra", "Mira", "Noble", "Onyx", "Prism", "Quill", "Rivo", "Sola", "Tava", "Umbra",
    "Vanta", "Wilde", "Axi", "Blu", "Cyra", "Dori", "Elev", "Fenn", "Gryph", "Hali", "Ivo", "Joli", "Kyto",
    "Lumo", "Medi", "Neo", "Orbi", "Pax", "Qora", "Rena", "Stra", "Tri", "Uni", "Vox", "Wex", "Yara", "Zypho",
    "Aero", "Bion", "Cento", "Dexa", "Echo", "Fuse", "Glim", "Hyper", "Inta", "Jovi", "Kelvi", "Logi", "Meri",
    "Nimbi", "Octa", "Pulse", "Radi", "Synth", "Tekn", "Urba", "Vivi", "Wyn", "Xylo", "Zola", "Über", "Étoi",
]
BRAND_TAILS = [
    "ova", "ify", "ium", "ex", "ora", "ly", "io", "ent", "ara", "on", "ix", "ia", "eon", "us", "ant", "ero",
    "ado",
    "ica", "ine", "ity", "wise", "works", "point", "path", "gate", "line", "base", "stack", "mark", "field",
    "forge", "loop", "leaf", "stone", "ridge", "bay", "port", "view", "scope", "sphere", "cast", "core",
    "flow",
    "grid", "hub", "lab", "lane", "net", "nest", "peak", "pod", "shift", "spark", "sync", "tide", "vault",
    "verse", "wing", "yard", "zone",
]
COMPOUND_BRANDS = [
    "Blue River", "Red Oak", "Silver Lake", "Granite Peak", "Summit Ridge", "Harbor Light", "Cedar Point",
    "Pioneer Valley", "Northwind", "Iron Gate", "Golden Gate", "Maple Leaf", "Stone Bridge", "Clear Water",
    "Bright Path", "Open Field", "Green Hill", "High Desert", "Lone Pine", "Silver Fern", "Black Rock",
    "White Cliff", "Twin Falls", "Eagle Eye", "Fox Hollow", "Deer Creek", "Crystal Bay", "Sun Valley",
    "Polar Star", "Bären Tal", "Côte Verte", "Nordlicht", "Sierra Alta", "Costa Azul", "Rio Claro",
]
SECTOR_WORDS: dict[str, str] = {
    "Analytics": "Technology", "Systems": "Technology", "Labs": "Technology", "Software": "Technology",
    "Solutions": "Consulting", "Networks": "Telecommunications", "Dynamics": "Manufacturing",
    "Technologies": "Technology", "Cloud": "Technology", "Data": "Technology", "Digital": "Technology",
    "Security": "Technology", "Logistics": "Transportation", "Freight": "Transportation",
    "Health": "Healthcare",
    "Medical": "Healthcare", "Diagnostics": "Healthcare", "Bio": "Biotechnology", "Pharma": "Biotechnology",
    "Robotics": "Manufacturing", "Motors": "Manufacturing", "Industries": "Manufacturing",
    "Materials": "Manufacturing", "Instruments": "Manufacturing", "Devices": "Manufacturing",
    "Semiconductors": "Technology", "Chemicals": "Manufacturing", "Energy": "Energy", "Power": "Energy",
    "Capital": "Financial Services", "Financial": "Financial Services", "Payments": "Financial Services",
    "Insurance": "Insurance", "Partners": "Consulting", "Consulting": "Consulting", "Advisory": "Consulting",
    "Media": "Media", "Studios": "Media", "Games": "Media", "Interactive": "Media",
    "Telecom": "Telecommunications",
    "Retail": "Retail", "Apparel": "Retail", "Foods": "Retail", "Brewing": "Hospitality",
    "Hospitality": "Hospitality",
    "Travel": "Hospitality", "Learning": "Education", "Education": "Education", "Realty": "Real Estate",
    "Properties": "Real Estate", "Construction": "Construction", "Builders": "Construction",
    "Aerospace": "Manufacturing", "Marine": "Transportation", "Farms": "Agriculture", "Outdoor": "Retail",
    "Group": "Consulting", "Holdings": "Financial Services", "Ventures": "Financial Services",
}

BUSINESS_INDUSTRIES = sorted(set(SECTOR_WORDS.values()))

# --- titles ---------------------------------------------------------------------------------------------
SENIORITIES = ["C-Level", "VP", "Director", "Manager", "Senior", "Individual Contributor"]
SENIORITY_SHARE = [0.04, 0.08, 0.15, 0.25, 0.23, 0.25]
SENIORITY_FIT = [1.0, 0.9, 0.7, 0.4, 0.1, -0.3]
FUNCTIONS = ["Marketing", "Sales", "Engineering", "IT", "Finance", "Operations", "HR", "Data", "Product"]
FUNCTION_SHARE = [0.18, 0.16, 0.14, 0.10, 0.08, 0.10, 0.06, 0.10, 0.08]
FUNCTION_FIT = [0.8, 0.6, 0.1, 0.3, -0.3, 0.2, -0.6, 0.8, 0.3]
CHIEF = {
    "Marketing": ("CMO", "Chief Marketing Officer"), "Sales": ("CRO", "Chief Revenue Officer"),
    "Engineering": ("CTO", "Chief Technology Officer"), "IT": ("CIO", "Chief Information Officer"),
    "Finance": ("CFO", "Chief Financial Officer"), "Operations": ("COO", "Chief Operating Officer"),
    "HR": ("CHRO", "Chief People Officer"), "Data": ("CDO", "Chief Data Officer"),
    "Product": ("CPO", "Chief Product Officer"),
}
IC_ROLE = {
    "Marketing": "Marketing Specialist", "Sales": "Account Executive", "Engineering": "Software Engineer",
    "IT": "Systems Administrator", "Finance": "Financial Analyst", "Operations": "Operations Analyst",
    "HR": "HR Generalist", "Data": "Data Analyst", "Product": "Product Manager",
}
N_TITLE_VARIANTS = 4


def title_table() -> list[list[list[str]]]:
    """[seniority][function][variant] -> title; variant 0 is the canonical title."""
    out: list[list[list[str]]] = []
    for sen in SENIORITIES:
        row = []
        for fn in FUNCTIONS:
            role = IC_ROLE[fn]
            if sen == "C-Level":
                short, long = CHIEF[fn]
                v = [long, short, f"{short} ", long.lower()]
            elif sen == "VP":
                v = [f"VP of {fn}", f"Vice President, {fn}", f"VP {fn}", f"V.P. {fn}"]
            elif sen == "Director":
                v = [f"Director of {fn}", f"{fn} Director", f"Director, {fn}", f"Dir. {fn}"]
            elif sen == "Manager":
                v = [f"{fn} Manager", f"Manager, {fn}", f"{fn} Mgr", f"Mgr {fn}"]
            elif sen == "Senior":
                v = [f"Senior {role}", f"Sr. {role}", f"Sr {role}", f"{role} II"]
            else:
                v = [role, role.lower(), f"{role} I", f"Associate {role}"]
            row.append([s.strip() for s in v])
        out.append(row)
    return out


FREE_EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com"]
FREE_EMAIL_SHARE = [0.55, 0.15, 0.18, 0.12]

USER_AGENTS = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0 Safari/537.36"
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0 Safari/537.36"
    ),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148"
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
    ),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Edg/124.0",
]
# documentation address blocks (RFC 5737)
IP_BLOCKS = ["192.0.2.", "198.51.100.", "203.0.113."]

SELLER_DOMAIN = "handoffhq.example"
SELLER_SITE = "https://www.handoffhq.example"
SITE_PAGES = [
    "/", "/pricing", "/product", "/product/analytics", "/product/routing", "/customers",
    "/blog/lead-scoring-101",
    "/blog/data-quality", "/resources/roi-calculator", "/demo", "/contact", "/docs/getting-started",
    "/webinars",
]
REFERRERS = [
    "https://www.google.com/", "https://www.bing.com/", "https://www.linkedin.com/",
    "https://duckduckgo.com/",
    "https://news.ycombinator.com/", "https://www.g2.com/", "",
]
FORM_NAMES = [
    "Contact Us", "Demo Request", "Ebook Download", "Webinar Registration", "Newsletter Signup", "Free Trial",
    "Pricing Inquiry", "ROI Calculator",
]

BOMBORA_TOPICS: list[tuple[str, str]] = [
    ("Data Quality", "Data Management"), ("Master Data Management", "Data Management"),
    ("Customer Data Platform", "Data Management"), ("Identity Resolution", "Data Management"),
    ("Data Warehousing", "Data Management"), ("ETL", "Data Management"),
    ("Data Governance", "Data Management"),
    ("Lead Management", "Marketing"), ("Marketing Automation", "Marketing"), ("Lead Scoring", "Marketing"),
    ("Account-Based Marketing", "Marketing"), ("Demand Generation", "Marketing"),
    ("Intent Data", "Marketing"),
    ("Sales Intelligence", "Sales"), ("Sales Engagement", "Sales"), ("CRM", "Sales"),
    ("Revenue Operations", "Sales"), ("Predictive Analytics", "Analytics"),
    ("Business Intelligence", "Analytics"),
    ("Machine Learning", "Analytics"), ("Cloud Security", "IT"), ("Kubernetes", "IT"),
    ("Workforce Management", "HR"), ("Payroll", "HR"), ("ERP", "Finance"), ("Procurement", "Finance"),
]

TZ_OFFSET_MIN = {
    "America/Los_Angeles": -480, "America/Denver": -420, "America/Phoenix": -420, "America/Chicago": -360,
    "America/New_York": -300, "America/Toronto": -300, "America/Vancouver": -480, "America/Edmonton": -420,
    "Europe/London": 0, "Europe/Berlin": 60, "Europe/Paris": 60, "Europe/Amsterdam": 60, "Europe/Madrid": 60,
    "Australia/Sydney": 600, "Australia/Melbourne": 600, "Australia/Brisbane": 600, "Asia/Kolkata": 330,
    "America/Sao_Paulo": -180,
}

# flattened city table: (country, city, region code, region name, area code, time zone)
CITY_ROWS: list[tuple[str, str, str, str, str, str]] = [
    (cc, *row) for cc, rows in CITIES.items() for row in rows
]
CITY_RANGE: dict[str, tuple[int, int]] = {}
_pos = 0
for _cc, _rows in CITIES.items():
    CITY_RANGE[_cc] = (_pos, _pos + len(_rows))
    _pos += len(_rows)
del _pos, _cc, _rows
