"""Every limit of the bank format, in one place: field sizes, counts, and hostile-input bounds.

Field limits are part of the documented format (question_bank/README.md, schema.json). Text
limits that guard a database column are tied to it (``bot/storage``: question ids are
``String(100)``, topics ``String(64)``, phase names ``String(32)``, rubric-point labels
``String(300)``). The document limits bound the work of reading one file: any input the safe
loader accepts is validated in time and memory linear in its size, and a file that exceeds them
is reported, never half-read. Every value the walk reads has a field limit; a value under an
unknown key is reported by its key and never read, and messages quote at most ``QUOTE_LIMIT``
characters of any value, so no separate limit on raw value length is needed.
"""

from __future__ import annotations

# --- questions ---------------------------------------------------------------------------------
PROMPT_LIMIT = 1500
ANSWER_LIMIT = 3500
ID_LIMIT = 100  # question ids are String(100) columns
TOPIC_LIMIT = 64  # topics are String(64) columns (rounds, topic filters)
TAG_LIMIT = 64
TAGS = (0, 10)
MINUTES_RANGE = (1, 180)  # a question's and a phase's minutes
HINTS = (1, 3)  # also follow_ups
HINT_LIMIT = 500  # characters of one hint or follow-up
SOURCE_LIMIT = 200

# --- rubric points -----------------------------------------------------------------------------
RUBRIC_POINTS = (2, 8)
CUES_PER_POINT = (1, 5)
CUE_LIMIT = 300
WEIGHT_RANGE = (1, 5)
POINT_LIMIT = 300  # peer score sheets store the point as a String(300) label
EXPLAIN_LIMIT = 300

# --- misconceptions ----------------------------------------------------------------------------
MISCONCEPTIONS = (1, 5)
MISCONCEPTION_CUES = (1, 3)
MISCONCEPTION_LIMIT = 200
CAP_RANGE = (1, 3)

# --- system-design phases ----------------------------------------------------------------------
PHASES = (3, 8)
PHASE_NAME_LIMIT = 32  # String(32) column of interview items

# --- one document (a bank file or an upload) ---------------------------------------------------
DOCUMENT_BYTES = 1 << 20  # 1 MiB, also the /bank import limit
NODE_LIMIT = 100_000  # YAML values; the bundled bank has about 15,000 per MB
QUESTIONS_PER_FILE = 1_000

# --- reporting ---------------------------------------------------------------------------------
PROBLEMS_SHOWN = 200  # errors listed per load; the rest are counted ("and K more")
WARNINGS_SHOWN = 200
QUOTE_LIMIT = 60  # characters of a user value quoted in a message
