"""The demo council: its cases, rebuilt from the published 2018/19 report, and their loader."""
