-- Hosted thank-you pages (opt-in per account): a browser post without
-- OnSuccessURL / OnErrorURL is redirected to the service's /thanks or /oops page.
ALTER TABLE accounts ADD COLUMN hosted_pages INTEGER NOT NULL DEFAULT 0;
