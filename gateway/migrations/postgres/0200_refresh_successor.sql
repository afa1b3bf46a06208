-- The refresh token a spent one was exchanged for, sealed with a pad only the holder of the
-- spent token can derive (see auth::refresh::seal). Two tabs refreshing with one token at the
-- same moment both get this successor within the grace window, instead of the second being
-- taken for a stolen token's reuse.
ALTER TABLE refresh_tokens ADD COLUMN successor TEXT;
