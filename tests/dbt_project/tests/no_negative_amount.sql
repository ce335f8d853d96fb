-- Fails on purpose: the seed has a negative amount (the test of a failing build).
select * from {{ ref('orders') }} where amount < 0
