"""Synthetic data of a French omnichannel fine-food retailer: Cible's embedded default data set.

The retailer sells wines, cheese, charcuterie, épicerie fine, fruit & vegetables, gift boxes, coffee & tea
and sweets (~370 SKUs with subcategories, prices, margins, some out of stock; staples are
replenishable, gift boxes and grands crus are not; plus delivery-fee and gift-wrap lines) through six
order channels: web shop, app, phone advisers, printed catalogue, a few stores and home delivery rounds.

Hidden customer types (truth only) set the mean of every trait; customers scatter around it (Dirichlet
channel and category mixes, gamma order rates, log-normal basket and responsiveness):

| type                  | share | born  | main channels     | orders/yr | churn/yr | traits                |
|-----------------------|------:|------:|-------------------|----------:|---------:|-----------------------|
| web_first_gourmet     |  20%  | ~1980 | web, app          |     5     |   0.22   | wine, cheese, big     |
| phone_loyal_senior    |  14%  | ~1947 | phone, catalogue  |     9     |   0.10   | staples, takes calls  |
| deal_seeker           |  15%  | ~1980 | web, app          |    4.5    |   0.45   | promo codes (~50%)    |
| occasional_gift_buyer |  17%  | ~1968 | web, store, phone |    1.3    |   0.30   | gift boxes, December  |
| lapsing               |  12%  | ~1972 | catalogue, phone  |    3.5    |   1.3    | fading engagement     |
| store_regular         |  11%  | ~1963 | store, delivery   |    14     |   0.15   | fresh, loyalty card   |
| app_family            |  11%  | ~1986 | app               |    10     |   0.30   | push-driven, frequent |

Orders come from: a first order at sign-up (newcomers, ~65% of customers, arrive through the period;
~35% predate it by up to 12 years), a personal replenishment clock (regular gaps; staples due on a tick
are in the order, so repeat purchases are timed by the customer's usual gap), unplanned orders following
the seasons (post-holiday lull, summer, August dip, November rising, a strong pre-Christmas December),
campaign conversions, recovered abandoned carts (with or without a reminder e-mail), wishlists bought
later, guest checkouts, and ~3% partial returns (separate ``R…`` orders). Lines favour each customer's
favourite products and categories, pair complementary products (cheese with wine, coffee with sweets),
and are filled to a budget calibrated so the mean net order is 121 € on the web and 63 € by phone
(public figures; app 96, catalogue 84, delivery 72, store 44). A customer churns at a time drawn from
the type's hazard, fades over the last months (fewer orders, visits, opens) and never orders or logs in
afterwards. At 20,000 customers the shop sees ~7,000 orders and ~31,000 web/app visits a month.

Web and app events: checkout sessions for every web/app order (ending checkout_start, purchase at the
order time), visits in the days before an order viewing what is then bought (purchase intent), browsing
with carts, removals, wishlists and abandoned checkouts, landing visits of clicked messages, anonymous
strangers, prospects browsing anonymously before signing up (same visitor id, known once logged in).

Campaigns: fortnightly newsletters and pushes, monthly SMS flash sales and adviser call waves, seasonal
printed catalogues, a "try the web shop" WEB5 offer, welcome e-mails, cart reminders and retargeting ads;
offers WELCOME, WEB5, FLASH20, FREE_DELIVERY, CAT15_<category>. Contacts go only to customers whose
consent for the channel's purpose was granted at send time; opens, clicks and conversions depend on the
type, the channel, the offer's category affinity, discount appetite and fading. The consent ledger
records each purpose at sign-up (source and proof matching how the customer came; ~20% refuse
profiling, ~half refuse SMS, seniors accept calls and refuse SMS and ads), then withdrawals and late
grants.

Causal truth (``features.synth.uplift``): each customer has a hidden response type per offer x channel
(persuadable, sure thing, lost cause, a few do-not-disturb) and every scheduled wave holds out 15% of its
consented audience as a random control group (``assignments`` rows, no contact); the campaign's order
happens in the treated world for persuadables and sure things and in the control world for sure things
and do-not-disturbs, so uplift is learnable and each assignment's two potential outcomes are known.

The hidden truth goes to ``truth/`` only: ``customers`` (type, churn_at, purchase rate, rhythm, preferred
channel, channel shares, category affinities, campaign responsiveness), ``sessions`` (owner, kind, the
order a visit checked out or preceded), ``orders`` (why each order exists), ``replenishment`` (staples
and their period), ``response_types`` (per customer, offer and channel) and ``assignments`` (each
pick's type and its potential outcomes, treated and control).
Same seed, same bytes; 100,000 customers x 24 months generate and write in ~30 s on
two cores (``experiments/bench_synth.py``).

Above ``chunk_customers`` (50,000 by default) customers, :func:`~features.synth.generate.write_synthetic`
makes the data set chunk by chunk in the memory of one chunk (:mod:`features.synth.chunked`): the
catalogue and campaign calendar are shared, each chunk has its own random streams and id blocks, and its
tables are appended to the same files. Same seed and chunk size, same bytes; one chunk is the data set
made in one piece.

Entry points: :class:`features.synth.config.SynthConfig`, :func:`features.synth.generate.generate` and
:func:`features.synth.generate.write_synthetic`.
"""
