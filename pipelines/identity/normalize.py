"""Normalise person records before identity resolution: emails, phones, names, companies, domains, places.

Vectorised: per-row work runs as Polars expressions. Python libraries (unidecode, tldextract, nicknames,
cleanco's term list, phonenumbers' metadata) are applied once per *unique* value, or once per process to
build small lookup tables, and the results are mapped back with ``replace_strict``. Text columns are
reduced to their unique values first, so their cost scales with cardinality rather than row count.
Nothing here raises on dirty values: anything that cannot be normalised becomes null.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import polars as pl

from .phones import e164, international_digits, phone_digits, phone_tables

if TYPE_CHECKING:
    from tldextract import TLDExtract

__all__ = ["FREE_EMAIL_DOMAINS", "OUTPUT_SCHEMA", "normalize_person_records", "registered_domain"]

REQUIRED_COLUMNS = ("source", "record_id")
OPTIONAL_COLUMNS = ("first_name", "last_name", "email", "phone", "mobile_phone", "title", "company",
                    "website", "city", "country")
OUTPUT_SCHEMA = pl.Schema({
    "email_norm": pl.String, "email_local": pl.String, "email_domain": pl.String, "email_is_free": pl.Boolean,
    "work_email": pl.String, "phone_e164": pl.String, "mobile_e164": pl.String, "first_norm": pl.String,
    "last_norm": pl.String, "first_canonical": pl.String, "company_norm": pl.String,
    "website_domain": pl.String, "country_code": pl.String, "city_norm": pl.String, "title_norm": pl.String,
})

FREE_EMAIL_DOMAINS: frozenset[str] = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.co.in", "yahoo.ca", "yahoo.com.au",
    "yahoo.com.br", "yahoo.co.jp", "yahoo.fr", "yahoo.de", "yahoo.es", "yahoo.it", "ymail.com",
    "rocketmail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it", "hotmail.es",
    "outlook.com", "outlook.fr", "outlook.de", "live.com", "live.co.uk", "live.fr", "msn.com", "aol.com",
    "aim.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de",
    "gmx.net", "gmx.at", "web.de", "t-online.de", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "yandex.ru",
    "yandex.com", "ya.ru", "qq.com", "163.com", "126.com", "sina.com", "zoho.com", "zohomail.com", "mail.com",
    "fastmail.com", "tutanota.com", "hey.com", "orange.fr", "free.fr", "laposte.net", "wanadoo.fr",
    "libero.it", "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "btinternet.com", "naver.com",
    "rediffmail.com", "seznam.cz", "wp.pl", "onet.pl", "o2.pl", "interia.pl",
})
_GMAIL_HOSTS = ("gmail.com", "googlemail.com")

# Regexes (Rust syntax, run by Polars).
_EMAIL_RE = (r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
             r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{2,59})$")
_DOMAIN_LIKE_RE = r"^(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/?$"
# Country names and variants -> ISO2; keys are folded (lower case ASCII letters only). The ISO2 codes
# themselves come from phonenumbers' region list. "; "-separated: a code, then its names.
_COUNTRY_NAMES = """
US usa unitedstates unitedstatesofamerica america estadosunidos etatsunis vereinigtestaaten; GB uk gbr
unitedkingdom greatbritain britain england scotland wales northernireland; GB
unitedkingdomofgreatbritainandnorthernireland grossbritannien royaumeuni reinounido; DE deu germany
deutschland allemagne alemania germania duitsland tyskland niemcy; FR fra france frankreich francia frankrijk
frankrike; CA can canada kanada; IN ind india indien inde; AU aus australia australien australie; NL nld
netherlands thenetherlands holland nederland paysbas niederlande paisesbajos; ES esp spain espana spanien
espagne spagna; BR bra brazil brasil brasilien bresil; JP jpn japan nippon nihon japon giappone; SG sgp
singapore singapur singapour; IE irl ireland eire irland irlanda republicofireland; SE swe sweden sverige
schweden suede suecia; CH che switzerland schweiz suisse svizzera suiza; IT ita italy italia italien italie;
MX mex mexico mexique mexiko; CN chn china prc mainlandchina peoplesrepublicofchina chine; HK hkg hongkong
hongkongsar; TW twn taiwan taiwanroc republicofchina; KR kor southkorea korea republicofkorea korearepublicof
koreasouth; NO nor norway norge norwegen norvege noruega; DK dnk denmark danmark danemark dinamarca; FI fin
finland suomi finnland finlande finlandia; BE bel belgium belgique belgie belgien belgica; AT aut austria
osterreich oesterreich autriche; PL pol poland polska polen pologne polonia; PT prt portugal; NZ nzl
newzealand aotearoa; ZA zaf southafrica suidafrika; IL isr israel; AR arg argentina argentine argentinien; CL
chl chile; CO col colombia; PE per peru; RU rus russia russianfederation rossiya russland russie; UA ukr
ukraine ukraina; CZ cze czechia czechrepublic cesko ceskarepublika tschechien; HU hun hungary magyarorszag
ungarn; RO rou romania rumanien roumanie; GR grc greece hellas ellada griechenland; TR tur turkey turkiye
turkei; AE are uae unitedarabemirates emirates; SA sau saudiarabia ksa; QA qat qatar; EG egy egypt; NG nga
nigeria; KE ken kenya; MA mar morocco maroc; PH phl philippines pilipinas; ID idn indonesia; MY mys malaysia;
TH tha thailand; VN vnm vietnam; PK pak pakistan; BD bgd bangladesh; LU lux luxembourg luxemburg; IS isl
iceland island; EE est estonia eesti; LV lva latvia; LT ltu lithuania; SK svk slovakia slovensko; SI svn
slovenia slovenija; HR hrv croatia hrvatska; RS srb serbia srbija; BG bgr bulgaria; CY cyp cyprus; MT mlt
malta; CI civ ivorycoast cotedivoire
"""
_TITLE_ABBREVIATIONS = {
    "vp": "vice president", "svp": "senior vice president", "evp": "executive vice president",
    "avp": "assistant vice president", "sr": "senior", "snr": "senior", "jr": "junior", "mgr": "manager",
    "dir": "director", "eng": "engineer", "engr": "engineer", "asst": "assistant", "assoc": "associate",
    "exec": "executive", "mktg": "marketing", "mgmt": "management", "pres": "president",
}
# Common English nicknames whose target the nicknames data leaves ambiguous (e.g. "bill" also lists robert).
_NICKNAME_OVERRIDES = {
    "robert": ("bob", "bobby", "rob", "robbie", "robby"),
    "william": ("bill", "billy", "will", "willy", "willie"),
    "elizabeth": ("liz", "lizzie", "lizzy", "beth", "betty", "betsy", "eliza", "libby", "bess"),
    "michael": ("mike", "mikey", "mick", "mickey", "micky"), "katherine": ("kate", "katie", "kathy", "kat"),
    "james": ("jim", "jimmy", "jimmie", "jamie"), "jennifer": ("jen", "jenn", "jenny", "jenni", "jennie"),
    "thomas": ("tom", "tommy"), "richard": ("dick", "rick", "ricky", "rich", "richie"), "anthony": ("tony",),
    "christopher": ("chris",), "steven": ("steve",), "daniel": ("dan", "danny"), "david": ("dave", "davy"),
    "joseph": ("joe", "joey"), "samuel": ("sam", "sammy"), "alexander": ("alex",), "andrew": ("andy", "drew"),
    "matthew": ("matt",), "nicholas": ("nick", "nicky"), "benjamin": ("ben", "benny"),
    "edward": ("ed", "eddie"), "charles": ("charlie", "chuck"), "gregory": ("greg",), "jeffrey": ("jeff",),
    "kenneth": ("ken", "kenny"), "lawrence": ("larry",), "margaret": ("peggy", "maggie", "meg"),
    "susan": ("sue", "susie"), "deborah": ("debbie", "deb"), "rebecca": ("becky",),
    "timothy": ("tim", "timmy"), "peter": ("pete",), "frederick": ("fred", "freddie"),
    "ronald": ("ron", "ronnie"), "donald": ("don", "donny"), "douglas": ("doug",), "joshua": ("josh",),
    "zachary": ("zach", "zack"), "abigail": ("abby",), "amanda": ("mandy",), "jessica": ("jess", "jessie"),
    "patricia": ("patty", "trish"), "victoria": ("vicky", "tori"), "cynthia": ("cindy",),
    "barbara": ("barb",), "jonathan": ("jon",),
}

_EXTRACTOR: TLDExtract | None = None  # one offline tldextract extractor per process, created on first use


def _extractor() -> TLDExtract:
    global _EXTRACTOR
    if _EXTRACTOR is None:
        import tldextract

        # The bundled public suffix snapshot only: never fetch, no disk cache.
        _EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _EXTRACTOR


def _py(values: pl.Series, fn: Callable[[str], str | None]) -> pl.Series:
    """``fn`` per element; callers pass one element per distinct raw value, never one per row."""
    return pl.Series(values.name, [fn(v) for v in values.to_list()], dtype=pl.String)


def _expr(values: pl.Series, fn: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    return values.to_frame("v").select(fn(pl.col("v")).alias(values.name)).to_series()


def _lookup(column: str, old: pl.Series, new: pl.Series) -> pl.Expr:
    """Row-level expression mapping ``column`` through a table of its unique values; unmapped -> null."""
    if old.is_empty():
        return pl.lit(None, dtype=new.dtype)
    return pl.col(column).replace_strict(old, new, default=None, return_dtype=new.dtype)


def _fold(values: pl.Series) -> pl.Series:
    """Trimmed, lower case, accents and other scripts transliterated to ASCII (unidecode, non-ASCII only)."""
    from unidecode import unidecode

    values = values.str.strip_chars().str.to_lowercase()
    non_ascii = values.filter(values.str.contains(r"[^\x00-\x7F]")).unique()
    if non_ascii.is_empty():
        return values
    return values.replace(non_ascii, _py(non_ascii, unidecode)).str.to_lowercase()


def _null_if_empty(e: pl.Expr) -> pl.Expr:
    return pl.when(e.str.len_bytes() > 0).then(e)


def _hosts(values: pl.Series) -> pl.Series:
    """Host part of emails, URLs or bare hosts: no scheme, user, path, port or trailing dot."""
    def host(e: pl.Expr) -> pl.Expr:
        h = (e.str.strip_chars().str.to_lowercase().str.replace(r"^[a-z][a-z0-9+.-]*://", "")
             .str.replace(r"[/?#\\].*$", "").str.replace(r"^.*@", "").str.replace(r":\d*$", "")
             .str.strip_chars("."))
        return pl.when(h.str.contains(r"^[^\s,;:'\x22<>()\[\]]+\.[^\s,;:'\x22<>()\[\]]+$")).then(h)
    return _expr(values, host)


@functools.lru_cache(maxsize=1 << 18)  # hosts recur across columns (email, website) and calls
def _registered(host: str) -> str | None:
    return _extractor()(host).top_domain_under_public_suffix.lower() or None


def _registered_of(values: pl.Series) -> pl.Series:
    """Registered domain per unique email/URL/host value (tldextract once per distinct host)."""
    hosts = _hosts(values)
    distinct = hosts.drop_nulls().unique()
    return hosts.replace_strict(distinct, _py(distinct, _registered), default=None, return_dtype=pl.String)


def registered_domain(values: pl.Series) -> pl.Series:
    """Registered domain (domain under its public suffix) of emails, URLs or hosts; null when there is none.

    Uses tldextract's bundled public suffix list (offline), once per unique host.

    Examples
    --------
    >>> s = pl.Series(["https://www.shop.acme.co.uk/x", "a@mail.acme.com", "ACME.com", "co.uk", "n/a", None])
    >>> registered_domain(s).to_list()
    ['acme.co.uk', 'acme.com', 'acme.com', None, None, None]
    """
    if values.dtype != pl.String:
        values = values.cast(pl.String, strict=False)
    distinct = values.drop_nulls().unique()
    if distinct.is_empty():
        return pl.repeat(None, len(values), dtype=pl.String, eager=True).alias(values.name)
    return _expr(values, lambda _: _lookup("v", distinct, _registered_of(distinct)))


def _text_column(records: pl.DataFrame, name: str) -> pl.Series:
    """Column ``name`` as String, or all nulls when absent or not castable."""
    if name in records.columns:
        col = records.get_column(name)
        if col.dtype == pl.String:
            return col
        try:
            if col.dtype.is_float():
                col = col.cast(pl.Int64, strict=False)
            return col.cast(pl.String, strict=False)
        except pl.exceptions.PolarsError:
            pass
    return pl.repeat(None, records.height, dtype=pl.String, eager=True).alias(name)


def _name_of(values: pl.Series) -> pl.Series:
    return _expr(_fold(values), lambda e: _null_if_empty(e.str.replace_all(r"[^a-z]", "")))


@functools.cache
def _canonical_names() -> dict[str, str]:
    """Every name in the nicknames data -> one deterministic canonical given name."""
    from nicknames import NickNamer

    nn = NickNamer()
    nicks, canon = nn.nickname_lookup, nn.canonical_lookup

    def pick(name: str) -> str:
        # A name with nicknames of its own and at least as many nicknames as canonicals is itself canonical;
        # otherwise prefer the candidate that is no one's nickname, then most nicknames, then alphabetical.
        if len(nicks.get(name, ())) >= max(1, len(canon.get(name, ()))):
            return name
        return min(canon.get(name, ()) or {name},
                   key=lambda c: (bool(canon.get(c)), -len(nicks.get(c, ())), c))

    mapping = {name: pick(name) for name in sorted(set(nicks) | set(canon))}
    for _ in range(3):  # follow chains (a -> b -> c) to a fixed point
        mapping = {k: mapping.get(v, v) for k, v in mapping.items()}
    for target, nicknames in _NICKNAME_OVERRIDES.items():
        mapping[target] = target
        mapping.update(dict.fromkeys(nicknames, target))
    return mapping


def _company_text(e: pl.Expr) -> pl.Expr:
    e = (e.str.replace_all("&", " and ", literal=True).str.replace_all(r"[.'`]", "")
         .str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars())
    return _null_if_empty(e)


@functools.cache
def _legal_suffix_re() -> str:
    """Regex stripping trailing legal-form terms (cleanco's list, normalised like company names)."""
    from cleanco import prepare_default_terms

    terms = pl.Series([" ".join(parts) for _, parts in prepare_default_terms()]).unique()
    cleaned = _expr(_fold(terms), _company_text).drop_nulls().unique().to_list()
    alternation = "|".join(sorted((t.replace(" ", r"\s") for t in cleaned), key=lambda t: (-len(t), t)))
    return rf"^(.+?)(?:\s(?:{alternation}))+$"


def _company_of(values: pl.Series) -> pl.Series:
    folded = _fold(values)
    domain_like = folded.str.contains(_DOMAIN_LIKE_RE)
    label = _registered_of(folded.filter(domain_like)).str.extract(r"^([^.]+)", 1)
    label = pl.repeat(None, len(values), dtype=pl.String, eager=True).scatter(domain_like.arg_true(), label)
    return label.fill_null(_expr(folded, lambda e: _company_text(e).str.replace(_legal_suffix_re(), "${1}")))


@functools.cache
def _country_table() -> dict[str, str]:
    """Folded letters-only country key -> ISO2: phonenumbers' region codes plus :data:`_COUNTRY_NAMES`."""
    import phonenumbers

    table = {r.lower(): r for r in phonenumbers.SUPPORTED_REGIONS if len(r) == 2 and r.isalpha()}
    for entry in _COUNTRY_NAMES.split(";"):
        region, *names = entry.split()
        table.update(dict.fromkeys(names, region))
    return table


def _country_of(values: pl.Series) -> pl.Series:
    return _fold(values).str.replace_all(r"[^a-z]", "").replace_strict(
        _country_table(), default=None, return_dtype=pl.String)


def _city_of(values: pl.Series) -> pl.Series:
    return _expr(_fold(values),
                 lambda e: _null_if_empty(e.str.replace_all(r"[^a-z]+", " ").str.strip_chars()))


def _title_of(values: pl.Series) -> pl.Series:
    def fn(e: pl.Expr) -> pl.Expr:
        e = (e.str.replace_all(r"\bv\s*\.\s*p\b\.?", "vp").str.replace_all("&", " and ", literal=True)
             .str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars())
        expanded = e.str.split(" ").list.eval(pl.element().replace(_TITLE_ABBREVIATIONS)).list.join(" ")
        return _null_if_empty(expanded)
    return _expr(_fold(values), fn)


def normalize_person_records(records: pl.DataFrame) -> pl.DataFrame:
    """Add normalised identity columns (``OUTPUT_SCHEMA``) to person records; nothing else changes.

    Parameters
    ----------
    records
        Canonical person records: ``source`` and ``record_id`` required; any of ``first_name, last_name,
        email, phone, mobile_phone, title, company, website, city, country`` may be null or missing.

    Returns
    -------
    pl.DataFrame
        ``records`` (same rows, same order, columns untouched) plus every ``OUTPUT_SCHEMA`` column, null
        where unknown. Existing columns with those names are replaced.

    Raises
    ------
    ValueError
        When ``source`` or ``record_id`` is missing.

    Examples
    --------
    >>> df = pl.DataFrame({"source": ["crm"], "record_id": ["1"], "first_name": ["Bob"],
    ...                    "email": [" J.Doe+news@GoogleMail.com "], "phone": ["020 7946 0958"],
    ...                    "country": ["United Kingdom"], "company": ["Acme Holdings, Inc."]})
    >>> out = normalize_person_records(df)
    >>> out.select("email_norm", "email_is_free", "phone_e164", "first_canonical", "company_norm").row(0)
    ('jdoe@gmail.com', True, '+442079460958', 'robert', 'acme holdings')
    >>> out.select("country_code", "work_email").row(0)
    ('GB', None)
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
    if missing:
        msg = f"person records lack required column(s): {', '.join(missing)}"
        raise ValueError(msg)
    text = pl.DataFrame([_text_column(records, name) for name in OPTIONAL_COLUMNS])
    # Text columns: transform each distinct value once, map back per row.
    per_value = {"first_name": _name_of, "last_name": _name_of, "company": _company_of,
                 "website": _registered_of, "city": _city_of, "title": _title_of}
    distinct = text.select(pl.col(c).drop_nulls().unique().implode() for c in [*per_value, "country"])
    old = {c: distinct.get_column(c)[0].alias(c) for c in distinct.columns}
    new = {c: fn(old[c]).alias(c) for c, fn in per_value.items()}
    nicknames = _canonical_names()
    canonical = _py(new["first_name"].fill_null(""), lambda v: nicknames.get(v, v) or None)
    regions, codes, prefixes, _ = phone_tables()
    region_index = _country_of(old["country"]).replace_strict(regions, pl.int_range(len(regions), eager=True),
                                                              default=None, return_dtype=pl.Int64)
    email = pl.col("email").str.strip_chars().str.to_lowercase().str.replace_all(" ", "", literal=True)
    (pd, pp), (md, mp) = phone_digits("phone"), phone_digits("mobile_phone")
    parts = pl.col("_e").str.split_exact("@", 1)
    gmail = pl.col("_h").is_in(_GMAIL_HOSTS)
    ri = pl.col("_ri")
    frame = text.lazy().select(
        *(_lookup(c, old[c], new[c]).alias(out) for c, out in (
            ("first_name", "first_norm"), ("last_name", "last_norm"), ("company", "company_norm"),
            ("website", "website_domain"), ("city", "city_norm"), ("title", "title_norm"))),
        _lookup("first_name", old["first_name"], canonical).alias("first_canonical"),
        _lookup("country", old["country"], region_index).alias("_ri"),
        _e=pl.when(email.str.contains(_EMAIL_RE)).then(email), _pd=pd, _pp=pp, _md=md, _mp=mp,
    ).with_columns(
        country_code=pl.lit(regions).gather(ri), _cc=pl.lit(codes).gather(ri),
        _np=pl.lit(prefixes).gather(ri).fill_null(""),
        _l=parts.struct.field("field_0"), _h=parts.struct.field("field_1"),
    ).with_columns(
        _pf=international_digits("_pd", "_pp"), _mf=international_digits("_md", "_mp"),
        email_local=_null_if_empty(pl.when(gmail).then(  # gmail ignores dots and +tags
            pl.col("_l").str.replace(r"\+.*$", "").str.replace_all(".", "", literal=True)
        ).otherwise(pl.col("_l"))),
        _host=pl.when(gmail).then(pl.lit("gmail.com")).otherwise(pl.col("_h")),
    ).collect()
    hosts = frame.get_column("_host").drop_nulls().unique()
    valid = pl.col("email_local").is_not_null()
    free = (pl.col("email_domain").is_in(FREE_EMAIL_DOMAINS).fill_null(False)
            | pl.col("_host").is_in(FREE_EMAIL_DOMAINS).fill_null(False))
    frame = frame.lazy().with_columns(
        phone_e164=e164("_pf"), mobile_e164=e164("_mf"),
        email_norm=pl.when(valid).then(pl.concat_str("email_local", pl.lit("@"), "_host")),
        email_domain=pl.when(valid).then(_lookup("_host", hosts, _py(hosts, _registered))),
    ).with_columns(
        email_is_free=pl.when(valid).then(free), work_email=pl.when(valid & ~free).then(pl.col("email_norm")),
    ).select(OUTPUT_SCHEMA.names()).cast(dict(OUTPUT_SCHEMA)).collect()
    return records.with_columns(frame.get_columns())
