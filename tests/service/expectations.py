"""Facts of the data set that several service tests check."""

DATA_FIELDS = {
    "mysfitId",
    "name",
    "species",
    "age",
    "goodEvil",
    "lawChaos",
    "description",
    "thumbImageUri",
    "profileImageUri",
}

# (filter, value, how many of the 12 mysfits match)
FILTER_COUNTS = [
    ("GoodEvil", "Good", 4),
    ("GoodEvil", "Neutral", 4),
    ("GoodEvil", "Evil", 4),
    ("LawChaos", "Lawful", 3),
    ("LawChaos", "Neutral", 5),
    ("LawChaos", "Chaotic", 4),
]
