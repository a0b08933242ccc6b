"""The council feedback API: complaints, compliments, members' casework and escalations."""
