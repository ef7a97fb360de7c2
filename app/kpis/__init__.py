"""The KPIs of work-plan items 3-(f) to 3-(j): a plan year and its filters as SQL (scope),
the figures, the findings and planning actions (post action), the register of tangible
results and its review, the per-activity evaluation report, a Member's aggregated
results, and the exports of KPI tables and raw responses.
"""
