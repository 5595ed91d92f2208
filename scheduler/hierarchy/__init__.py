"""The units that owe reports and receive mail, and how they change over time: reading and
checking units files (``units``), when a unit exists and who takes over (``life``, pure), and
applying a reorganisation to stored obligations (``closing``)."""
