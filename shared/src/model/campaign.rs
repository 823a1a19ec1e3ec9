//! Campaigns: placeholder until the campaigns work lands.
