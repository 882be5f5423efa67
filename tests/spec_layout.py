"""The published layout, copied by hand from ../shared/spec/outcomes-format.md (sections 1.2-1.4,
1.8, 3.2), for the tests' own workbooks.

Nothing here is imported from the package (not from ``crimeoutcomes.synthetic.sample``, whose generator the
round trips check, nor from ``crimeoutcomes.data.read``): a misreading of the format shared by the
generator and the reader cannot then pass the round trips. Edit this file only from the spec.
"""

# ---- Outcomes open data (spec 1.3): the year ending March 2026 file's wording, in its order.
OUTCOMES_HEADERS = {
    "financial_year": "Financial Year",
    "quarter": "Financial Quarter",
    "force": "Force Name",
    "offence_code": "Offence Code",
    "offence_description": "Offence Description",
    "offence_group": "Offence Group",
    "offence_subgroup": "Offence Subgroup",
    "offence_code_expired": "Offence code expired",
    "outcome_type": "Outcome Type",
    "outcome_description": "Outcome Description",
    "outcome_group": "Outcome Group",
    "recorded": "Outcomes for offences that were recorded in the quarter",
    "closed": "Outcomes for investigations closed in the quarter",
}

#: The variants the spec says to accept (1.3: "possible older-ODS variants"; accept them).
OUTCOMES_HEADER_VARIANTS = {
    "offence_code_expired": ["Offence code expired", "Offence Code Expired"],
    "recorded": [
        "Outcomes for offences that were recorded in the quarter",
        "Number of Outcomes for offences that were recorded in the quarter",
    ],
    "closed": [
        "Outcomes for investigations closed in the quarter",
        "Number of Outcomes for investigations that were closed in the quarter",
    ],
}

#: Every file has these four sheets, in this order (1.2): cover, notes, pivot, then the data sheet.
OTHER_SHEETS = ["Cover_sheet", "Notes", "Pivot"]

#: The data sheet of each year's file (1.2, exact; punctuation varies by year).
DATA_SHEETS = {
    "2014/15": "Outcomes_open_data_2014-15",
    "2015/16": "Outcomes_open_data_2015-16",
    "2016/17": "Outcomes_open_data_2016-17",
    "2017/18": "Outcomes_open_data_2017-18",
    "2018/19": "Outcomes_open_data_2018-19",
    "2019/20": "Outcomes_open_data_2019_20",
    "2020/21": "Outcomes_open_data_2020_21",
    "2021/22": "Outcomes open data 2021_22",
    "2022/23": "Outcomes_open_data_2022_23",
    "2023/24": "Outcomes_open_data_2023_24",
    "2024/25": "Outcomes open data 2024_25",
    "2025/26": "Outcomes open data 2025_26",
}

#: The five marker spellings of the count columns (1.4, "which one appears varies by year").
MARKERS = ["NA", "N/A", "N/A - Offence code expired", "N/A - offence code expired", "N/A - data not provided"]
EXPIRED_MARKERS = ["N/A - Offence code expired", "N/A - offence code expired"]
NOT_PROVIDED = "N/A - data not provided"
#: The expired-code flag: a lower-case x, empty otherwise (1.4).
EXPIRED_FLAG = "x"

# ---- Police force area recorded-crime file (3.2): one sheet per year, e.g. 2024_25, after these.
RECORDED_CRIME_OTHER_SHEETS = ["Cover_sheet", "Notes_"]
RECORDED_CRIME_HEADERS = [
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
]


def recorded_crime_sheet(financial_year: str) -> str:
    """'2024/25' -> '2024_25' (3.2)."""
    return financial_year.replace("/", "_")
