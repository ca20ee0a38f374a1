"""Nightly rollups: the design for keeping every analytics page under 300 ms at a million leads (not built yet).

Measured on PostgreSQL with 1,000,000 leads, 4.4 million timeline lines and 1.4 million stage changes (a shared
2-core machine, JIT off): over the last 30 days Overview ~0.8 s, Funnel ~2.6 s, Sources ~1.4 s; over 90 days two
to three times that. The live queries read only the period's rows through indexes, but a cohort of 40,000 leads
still means 40,000 index probes into the timeline per measure. The plan:

1. `analytics_daily_cohort` (day added, source, owner_id, campaign_id): added, leads, mql, sql, replied, met, won,
   won_value, and reached_<stage position> counts. Refreshed nightly by `manage.py analytics_rollup` (a django-q2
   schedule in leadflow/schedules.py) as one INSERT … SELECT … GROUP BY per day range inside a transaction, under
   a lease (leadflow/leases.py) so two runs never overlap; it prints the days and rows it wrote. A cohort keeps
   changing after its day (a reply next month), so each night recomputes the last 180 days; older days change
   rarely and are recomputed weekly.
2. `analytics_daily_events` (day, source, owner_id, kind): replies, emails sent, meetings, won deals and value, new
   leads: the Overview and the dashboard's panel sum these.
3. Medians cannot be summed: `analytics_stage_durations` keeps, per (day moved, stage), a histogram of the moves'
   durations in log-spaced buckets (1 h … 180 days); the median is read from the cumulative counts (within a
   bucket's width, said on the page).
4. Reports read the rollups when the scope has no list, campaign or sequence filter (those keep the live queries,
   which are fine for the smaller sets they select) and add today's live figures (one day of rows), so a figure
   is never more than a day stale for old cohorts and exact for today. The page says "figures up to last night
   plus today".

Reports written for analytics/reports.py should keep to `lead_q` for their filters, so switching a figure to a
rollup is a change inside the report function only.
"""
