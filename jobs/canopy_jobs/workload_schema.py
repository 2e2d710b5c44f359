"""The server-session CSV of the workload-forecasting walkthrough: 16 columns, no header.

Timestamps are written as yyyy-MM-dd HH:mm:ss (UTC).
"""

COLUMNS = [
    ("SessionStart", "timestamp"),
    ("SessionEnd", "timestamp"),
    ("ConcurrentConnectionCounts", "int"),
    ("MbytesTransferred", "double"),
    ("ServiceGrade", "int"),
    ("HTTP1", "int"),
    ("ServerType", "string"),
    ("SubService_1_Load", "double"),
    ("SubService_2_Load", "double"),
    ("SubService_3_Load", "double"),
    ("SubService_4_Load", "double"),
    ("SubService_5_Load", "double"),
    ("SecureBytes_Load", "double"),
    ("TotalLoad", "double"),
    ("ClientIP", "string"),
    ("ServerIP", "string"),
]
NAMES = [name for name, _ in COLUMNS]
DDL = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
SERVER_TYPES = ["web", "database", "cache", "file", "mail"]
