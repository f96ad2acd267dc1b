-- A card's network is stored by the name people read ("Visa", "American Express": `CardBrand` in
-- app/src/payments/card.rs). Any other text can't be read back: the page that lists it would show the
-- section's error instead. The database now refuses it when written (it once came in through bulk-loaded
-- data, docs/BENCHMARKS.md).
ALTER TABLE payment_methods
    ADD CONSTRAINT payment_methods_brand_named
        CHECK (brand IN ('Visa', 'Mastercard', 'American Express', 'Discover', 'Card'));
ALTER TABLE payment_attempts
    ADD CONSTRAINT payment_attempts_card_brand_named
        CHECK (card_brand IN ('Visa', 'Mastercard', 'American Express', 'Discover', 'Card'));
