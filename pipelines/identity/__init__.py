"""Identity resolution: normalise person records, then match them."""
