"""What notes say beyond concept names: numbers, dates and who they are about."""
