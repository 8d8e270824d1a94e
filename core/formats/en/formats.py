"""The site's one way of writing dates and times (US English), for every template
(`|date`, `|date:"DATETIME_FORMAT"`, `|time`) and for sentences written in Python
(core.dates). settings.FORMAT_MODULE_PATH points here; Django's own English formats
("Jan. 5, 2027", "2:30 p.m.") would otherwise apply.

Times are shown in the learner's time zone (accounts.middleware activates it);
"T" names it ("EST"), so a time read on a phone while travelling is not mistaken.
"""

DATE_FORMAT = "F j, Y"  # March 5, 2027
SHORT_DATE_FORMAT = "M j, Y"  # Mar 5, 2027
TIME_FORMAT = "g:i A"  # 2:30 PM
DATETIME_FORMAT = "F j, Y, g:i A T"  # March 5, 2027, 2:30 PM EST
SHORT_DATETIME_FORMAT = "M j, Y, g:i A"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "F j"
