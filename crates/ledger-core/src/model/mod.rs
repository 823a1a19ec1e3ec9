//! Domain entities and the rules that govern them, free of storage and HTTP.

pub mod account;
pub mod api_key;
pub mod bearer;
pub mod campaign;
mod change;
pub mod click;
pub mod commission;
pub mod commission_request;
pub mod earnings;
pub mod event;
pub mod fx_rate;
pub mod id;
pub mod partner;
pub mod partner_group;
pub mod payout;
pub mod portal_origin;
pub mod portal_session;
pub mod pricing;
pub mod referral;
pub mod reversal;
pub mod scope;

pub use account::{Account, AccountChanges, SettingsUpdate};
pub use api_key::{ApiKey, ApiKeyDraft, ApiToken, KeyRefusal};
pub use campaign::{
    Campaign, CampaignChanges, CampaignDraft, CodeMode, CommissionSettings, CommissionTerms,
    CommissionType, FirstPaymentCommission, LimitType,
};
pub use click::{Click, ClickDay, ClickDraft, DayRange, Visit};
pub use commission::{
    Commission, CommissionStatus, Decision, Earner, IllegalTransition, NotFulfillable, Notes,
    PayoutStatus, Review, decide,
};
pub use commission_request::{
    BillingPeriod, CommissionDraft, CommissionKind, CommissionRequest, ConvertedSale, Earning,
    EventDate, RewardUnit,
};
pub use earnings::{Earned, Earnings, MonthEarnings, MonthRange};
pub use event::{Actor, Event, EventData, EventEnvelope, EventType};
pub use fx_rate::{Conversion, FxRates, FxRatesDraft};
pub use id::Id;
pub use partner::{Link, Partner, PartnerStats, PromoCode};
pub use partner_group::{GroupChanges, GroupDraft, PartnerGroup};
pub use payout::{Payout, PayoutSlot, PayoutState, Period, Settlement, UnsettledPayout};
pub use portal_session::{PortalSession, PortalSessionDraft, PortalToken};
pub use pricing::{ChargeFacts, Priced, Pricing, RuleSource, applicable_rules};
pub use referral::{
    Attribution, FraudCheck, Referral, ReferralChanges, ReferralDraft, SubscriptionStatus,
};
pub use reversal::{Reported, ReversalReport, Reversed};
pub use scope::{Access, Resource, Scope, ScopeGrant};
