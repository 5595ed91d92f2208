"""What leaders read: the overdue table and the reporting rates, with their exports."""
