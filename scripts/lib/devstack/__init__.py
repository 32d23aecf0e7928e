"""The local stack behind `scripts/dev`: emulator, functions, gateway and event relays."""
