//! maillage-tours: Itinerant France Services: vehicles, sites, planning, calendars, iCalendar.
