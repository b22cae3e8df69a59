# placeholder until the guests land
.PHONY: guests guest-clean
guests:
guest-clean:
