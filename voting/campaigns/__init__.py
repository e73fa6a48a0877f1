"""Campaigns (issue 9): many organisers' events in one public calendar.

The data model (voting.models: Campaign, CampaignAdmin, Listing, ListingStatus,
EventFormat; migration 0012) follows the contract of the issue, with two additions the
code base asked for: `Listing.language`, the organiser's interface language when they
submitted, so that their mails are in it (a campaign has no language of its own), and
`EventStaff.event_admin`, which makes an organiser who turned a listing into a Plenum
event the administrator of that one event (every right on it, none elsewhere), as the
global roles could only give that power over every event.
"""
