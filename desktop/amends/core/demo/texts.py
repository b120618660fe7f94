"""Words the demo data is made of: names, plans, subjects and messages per
category. Plain data, kept apart from the generator's logic."""

FIRST_NAMES = (
    "Ada", "Bea", "Cai", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kira", "Leo", "Mina",
    "Noor", "Otto", "Pia", "Quinn", "Rosa", "Sami", "Tess", "Umar", "Vera", "Wes", "Xena", "Yuki",
    "Zoe", "Amir", "Bruno", "Chloé", "Dmitri", "Elif", "Femi", "Greta", "Hugo", "Inès", "Jonas",
)
LAST_NAMES = (
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "García", "Novak", "Schmidt", "Rossi", "Kowalski",
    "Nguyen", "O'Brien", "Haddad", "Silva", "Jensen", "Petrov", "Mensah", "Costa", "Weber", "Byrne",
    "Sato", "Ibrahim", "Larsen", "Dubois", "Fischer", "Martins", "Keller", "Horvat", "Quinn",
)
DOMAINS = ("example.com", "example.org", "mail.example", "post.example")

#: plan, cycle length in days, weight
PLANS = (
    ("Coffee Monthly", 30, 5),
    ("Coffee Fortnightly", 14, 3),
    ("Tea Discovery", 30, 2),
    ("Snack Box", 28, 2),
)
#: Price per cycle in US cents; what one replacement costs (box, packing, postage), per category.
PRICES = {"Coffee Monthly": 2900, "Coffee Fortnightly": 1600, "Tea Discovery": 2400, "Snack Box": 3500}
REPLACEMENT_COSTS = {"damaged_shipment": 1850, "late_delivery": 1500, "wrong_item": 1700}

#: Support people and their habits: (display name, offer generosity, skip rate).
AGENTS = (
    ("Ana Ruiz", 0.45, 0.04),
    ("Ben Carter", 0.95, 0.08),   # generous: often past the approved range
    ("Chloé Martin", 0.55, 0.03),
    ("Dev Patel", 0.40, 0.22),    # skips steps
)

#: category, weight overall, weight in the first billing cycle
CATEGORY_WEIGHTS = (
    ("damaged_shipment", 18, 22),
    ("late_delivery", 20, 18),
    ("wrong_item", 10, 12),
    ("billing", 14, 12),
    ("cancellation", 10, 16),
    ("skip_pause", 14, 6),
    ("product_quality", 9, 10),
    ("other", 5, 4),
)

SUBJECTS = {
    "damaged_shipment": ("Box arrived crushed", "Bag of beans split open in transit", "Damaged parcel",
                         "Broken jar in this month's box", "Package wet and torn"),
    "late_delivery": ("Where is my order?", "Box hasn't arrived", "Tracking stuck for a week",
                      "Delivery is late again", "Parcel marked delivered but not here"),
    "wrong_item": ("Wrong coffee in my box", "Missing item from my order", "Got someone else's box",
                   "Decaf instead of regular", "Only half the snacks arrived"),
    "billing": ("Charged twice this month", "Why was I billed early?", "Refund not received",
                "Card charged after I cancelled", "Invoice shows the wrong plan"),
    "cancellation": ("Please cancel my subscription", "I want to stop my plan", "Cancel after this box",
                     "How do I cancel?", "Too expensive, cancelling"),
    "skip_pause": ("Skip next month please", "Pause while I travel", "Can I skip a delivery?",
                   "Hold my subscription for 2 months", "Pause until January"),
    "product_quality": ("Beans taste stale", "Tea was dusty", "Snacks past their best-before date",
                        "Grind too coarse", "Not the quality I expected"),
    "other": ("Gift subscription question", "Change my delivery address", "Do you ship abroad?",
              "Question about ingredients", "Feedback on the website"),
}

OPENINGS = ("Hi,", "Hello,", "Hi there,", "Good morning,", "Hey,")
DETAILS = {
    "damaged_shipment": "the box arrived crushed and the contents were spilled all over the parcel.",
    "late_delivery": "my box still has not arrived and the tracking page has not moved in days.",
    "wrong_item": "the order I received is not what I subscribed to; one item is missing.",
    "billing": "I was charged an amount I did not expect on my card this cycle.",
    "cancellation": "I would like to cancel my subscription, it is not working out for me.",
    "skip_pause": "I will be away and would like to skip or pause the next delivery.",
    "product_quality": "the product did not taste fresh and I am disappointed with the quality.",
    "other": "I have a question about my account that I could not find answered on the site.",
}
#: The cause behind each subject, in the customer's words: the demo's planted
#: themes (core/insights/themes.py must find each one; tests/core/test_themes.py).
#: A subject made only of common words ("How do I cancel?") says nothing of
#: its cause; the first message does. One per subject, in SUBJECTS' order.
CAUSES = {
    "damaged_shipment": ("the cardboard was caved in on one corner", "the coffee bag had a seam split down the side",
                         "the outer carton was soaked through", "the glass jar had shattered inside the padding",
                         "the courier left it out in heavy rain"),
    "late_delivery": ("the courier tracking number shows nothing at all", "it missed the promised delivery date",
                      "the tracking status says label created only", "this is the third late parcel in a row",
                      "the driver photo shows a different front door"),
    "wrong_item": ("I received a dark roast instead of my light roast", "the chocolate biscuits were not in the box",
                   "the parcel had another customer's name on the slip", "the bag said decaffeinated on the label",
                   "the packing slip lists items I never got"),
    "billing": ("my bank statement shows a duplicate charge", "the payment date moved forward without notice",
                "the promised refund never reached my card", "a charge went through after my cancellation",
                "the invoice lists the premium plan price"),
    "cancellation": ("I am moving abroad next month", "I drink less coffee these days",
                     "I found a cheaper roaster nearby", "I cannot find the cancel button in my account",
                     "the price went up again this year"),
    "skip_pause": ("we are on holiday for three weeks", "I am travelling for work in March",
                   "I still have a full cupboard of beans", "money is tight for a couple of months",
                   "we are renovating the kitchen until January"),
    "product_quality": ("the beans had no aroma when opened", "the tea leaves were mostly powder",
                        "the crackers had gone soft", "the grind is too coarse for my espresso machine",
                        "the roast tasted burnt and bitter"),
    "other": ("I want to send a gift card to my sister", "we moved to a new flat last week",
              "I need to check for nut allergies", "I live in Canada now",
              "the checkout page kept freezing on my phone"),
}
CLOSINGS = ("Thanks,", "Best,", "Cheers,", "Regards,", "Thank you,")
REPLIES = (
    "I'm so sorry about this, {first}. I've sorted it out and you'll hear from us shortly.",
    "Thanks for letting us know, {first}. We're on it and I'll follow up once it's fixed.",
    "Apologies for the trouble, {first}! I've taken care of it on our side.",
)
FOLLOW_UPS = ("Thanks, that works for me.", "Great, appreciate the quick help!",
              "Any update on this?", "Okay, let me know.")
NOTES = ("Customer has written before about this.", "Checked with the warehouse: batch 24-11 affected.",
         "Carrier claim filed.", "Escalated to billing.")
SKIP_REASONS = ("customer declined", "not needed: already resolved by carrier", "out of stock",
                "customer asked us not to follow up", "handled by phone")
OVERRIDE_REASONS = ("long-time customer, second incident", "customer threatened to cancel",
                    "manager approved", "compensating for repeated delays")
