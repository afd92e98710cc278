-- What the hosted checkout page shows of a merchant. The logo is stored, not linked, so the page
-- loads nothing from elsewhere (no third-party requests from a shopper's browser, works offline).
ALTER TABLE merchants
  ADD COLUMN display_name text CHECK (length(display_name) BETWEEN 1 AND 100),
  ADD COLUMN logo bytea CHECK (octet_length(logo) <= 102400),
  ADD COLUMN logo_type text CHECK (logo_type IN ('image/png', 'image/jpeg', 'image/webp')),
  ADD CONSTRAINT merchants_logo_has_type CHECK ((logo IS NULL) = (logo_type IS NULL));
