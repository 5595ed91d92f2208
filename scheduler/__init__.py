"""hanbao: deadlines, reminders and late flags for child-protection reports in Vietnam.

The pure core (``vntime``, ``calendar``, ``rules``, ``plan``, ``obligations``) decides what is due
and when; ``storage``, ``sweep``, ``simulate`` and ``cli`` are the shell around it.
"""
