//! The five tools of the chat channel (docs/CONTRACT.md "Chat (MCP)") as one rmcp `ServerHandler`. Each
//! call runs for the spend key the request authenticated with (`auth`), and answers from the same service
//! functions as `/v1` and the dashboard — never from a cache, so a balance asked right after a top-up is the
//! new one.

use super::answers::{Card, PaymentMethods, ToolError};
use super::arguments::{
    AddFundsArguments, AskModelArguments, NoArguments, RequestListArguments, UsageArguments,
};
use super::{add_funds, answer, ask_model};
use crate::channels::shared::reads::{report, request_list};
use crate::channels::shared::schema::{Balance, RequestListQuery, UsageQuery};
use crate::state::AppState;
use chrono::NaiveDate;
use rmcp::handler::server::common::schema_for_type;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, JsonObject, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use std::str::FromStr;
use strum::IntoEnumIterator;
use tollgate_core::keys::db::AuthenticatedKey;
use tollgate_core::reads::wallet as wallet_db;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;

/// One request's handler: the state, shared by every request.
#[derive(Clone)]
pub struct ChatTools {
    pub state: AppState,
}

const INSTRUCTIONS: &str = "Tollgate is the user's prepaid USD wallet for paid API calls. Use get_balance \
for the balance, add_funds to top it up with a saved card (call it without an amount first if the user did \
not say how much), get_usage for spend per day, list_requests for recent calls with their cost, and \
ask_model to ask a model a question paid from the wallet. Amounts are strings in dollars such as \"25.00\".";

/// The tools (docs/CONTRACT.md "Chat (MCP)"): the list a chat app shows and the dispatch are both made
/// from this one enum, so neither can name a tool the other lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
enum ToolName {
    GetBalance,
    ListPaymentMethods,
    AddFunds,
    GetUsage,
    ListRequests,
    AskModel,
}

impl ToolName {
    /// What the model reads about the tool.
    fn description(self) -> &'static str {
        match self {
            ToolName::GetBalance => {
                "The user's current wallet balance in USD (a string with 2 decimals) and whether it is below \
                 their low-balance alert; while auto top-up is on, the text also says what it will do. Always \
                 current: ask again after a top-up."
            }
            ToolName::ListPaymentMethods => {
                "The user's saved cards (\"Visa •••• 4242\"), which is the default, and each card's last \
                 failure if it has one. Use a card's payment_method_id with add_funds to charge that card."
            }
            ToolName::AddFunds => {
                "Adds money to the user's wallet by charging a saved card (the default one unless \
                 payment_method_id is given). Only call it with an amount the user asked for. Without an \
                 amount it answers the balance, the saved cards and the allowed range (10.00 to 10000.00) so \
                 you can ask the user. If the user has no saved card it answers a checkout link to open. A \
                 second identical top-up within 2 minutes answers needs_confirmation: ask the user, then \
                 repeat with confirm_duplicate true and the answer's confirmation_id. A declined card answers the reason and where to fix it."
            }
            ToolName::GetUsage => {
                "Spend and completed paid calls per day, per service, with totals — the same figures as the \
                 dashboard's usage page. Defaults to the last 7 days including today."
            }
            ToolName::ListRequests => {
                "The user's most recent paid API calls, newest first, each with its service, model, status and \
                 exact cost breakdown. Pass next_cursor back as cursor for older calls."
            }
            ToolName::AskModel => {
                "Asks a model of the catalog (e.g. gpt-4o-mini, claude-haiku) a prompt and answers its reply, \
                 what the call cost and the new balance. The call is paid from the user's wallet: the most it \
                 can cost (up to max_tokens) is held first, and it is refused with \"Insufficient wallet \
                 balance\" before the model is asked when the wallet can't cover that."
            }
        }
    }

    /// The arguments' JSON schema, generated from the types `parse` reads them into.
    fn schema(self) -> std::sync::Arc<JsonObject> {
        match self {
            ToolName::GetBalance | ToolName::ListPaymentMethods => schema_for_type::<NoArguments>(),
            ToolName::AddFunds => schema_for_type::<AddFundsArguments>(),
            ToolName::GetUsage => schema_for_type::<UsageArguments>(),
            ToolName::ListRequests => schema_for_type::<RequestListArguments>(),
            ToolName::AskModel => schema_for_type::<AskModelArguments>(),
        }
    }

    /// Only `add_funds` (a card processor) and `ask_model` (a model's provider) change anything: both spend or
    /// add money, and reach outside Tollgate.
    fn annotations(self) -> ToolAnnotations {
        match self {
            ToolName::AddFunds | ToolName::AskModel => {
                ToolAnnotations::new().read_only(false).destructive(false).open_world(true)
            }
            _ => ToolAnnotations::new().read_only(true).destructive(false).open_world(false),
        }
    }

    fn tool(self) -> Tool {
        let name: &'static str = self.into();
        Tool::new(name, self.description(), self.schema()).with_annotations(self.annotations())
    }
}

impl ServerHandler for ChatTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("tollgate", env!("CARGO_PKG_VERSION")).with_title("Tollgate wallet"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(ToolName::iter().map(ToolName::tool).collect()))
    }

    // `get_tool` stays unimplemented on purpose: rmcp would then check arguments against the schema itself
    // and answer a protocol error the person never sees; `parse` answers a tool error in words instead.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let key = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<AuthenticatedKey>())
            .cloned()
            .ok_or_else(|| McpError::internal_error("no authenticated key on the request", None))?;
        let arguments = request.arguments.unwrap_or_default();
        let Ok(tool) = request.name.parse::<ToolName>() else {
            let unknown = request.name.escape_debug();
            return Err(McpError::invalid_params(format!("Unknown tool: {unknown}"), None));
        };
        let result = match tool {
            ToolName::GetBalance => self.get_balance(&key, arguments).await,
            ToolName::ListPaymentMethods => self.list_payment_methods(&key, arguments).await,
            ToolName::AddFunds => match parse::<AddFundsArguments>(arguments) {
                Ok(arguments) => add_funds::run(&self.state, &context, &key, arguments).await,
                // An amount that isn't a string (a JSON number passes through a float) gets the amount
                // message, like any amount the dashboard would refuse.
                Err(Refusal { field, .. }) if field == "amount" => answer::refused(
                    &ToolError::from(&AppError::AmountInvalid),
                    format!("{}. Send it as a string such as \"25.00\".", AppError::AmountInvalid.message()),
                ),
                Err(refusal) => refusal.answer(),
            },
            ToolName::GetUsage => self.get_usage(&key, arguments).await,
            ToolName::ListRequests => self.list_requests(&key, arguments).await,
            ToolName::AskModel => match parse::<AskModelArguments>(arguments) {
                Ok(arguments) => ask_model::run(&self.state, &key, arguments).await,
                Err(refusal) => refusal.answer(),
            },
        };
        Ok(result.into())
    }
}

impl ChatTools {
    async fn get_balance(&self, key: &AuthenticatedKey, arguments: JsonObject) -> CallToolResult {
        if let Err(refusal) = parse::<NoArguments>(arguments) {
            return refusal.answer();
        }
        let pool = &self.state.pool;
        let read = async {
            let wallet = wallet_db::summary(pool, key.account_id).await?;
            let auto = tollgate_core::payments::auto_top_up::settings::view(pool, key.account_id).await?;
            Ok::<_, AppError>((wallet, auto))
        };
        match read.await {
            Ok((wallet, auto)) => {
                let low = if wallet.low_balance { " That is below your low-balance alert." } else { "" };
                // "Auto top-up is on: when your balance falls below …": the rule's own sentence.
                let auto = auto
                    .sentence()
                    .map(|s| format!(" Auto top-up is on: {}", lower_first(&s)))
                    .unwrap_or_default();
                let held = if wallet.held > Usd::ZERO {
                    format!(" {} of it is held for calls in progress.", wallet.held.display())
                } else {
                    String::new()
                };
                // "It includes $5.00 promotional credit (expires Jan 6, 2027).", lower-cased after "It".
                let promotional = wallet
                    .promotional_note()
                    .map(|note| format!(" It {}.", lower_first(&note)))
                    .unwrap_or_default();
                let sentence = format!(
                    "Your wallet balance is {}.{promotional}{held}{low}{auto}",
                    wallet.balance.display()
                );
                let balance = Balance::from(&wallet);
                answer::done(&balance, sentence)
            }
            Err(err) => answer::error(&err),
        }
    }

    async fn list_payment_methods(&self, key: &AuthenticatedKey, arguments: JsonObject) -> CallToolResult {
        if let Err(refusal) = parse::<NoArguments>(arguments) {
            return refusal.answer();
        }
        match tollgate_core::payments::card_store::saved_cards(&self.state.pool, key.account_id).await {
            Ok(cards) => {
                let count =
                    format!("You have {} saved card{}", cards.len(), if cards.len() == 1 { "" } else { "s" });
                // Named as add_funds will charge it (`card_charged_by_default`).
                let sentence = match tollgate_core::payments::agent_funding::card_charged_by_default(&cards) {
                    None if cards.is_empty() => {
                        "You have no saved card; add_funds will answer a checkout link.".to_string()
                    }
                    None => format!("{count}, all expired; add_funds will answer a checkout link."),
                    Some(card) if card.is_default => format!("{count}; the default is {}.", card.label),
                    Some(card) => format!(
                        "{count} and no default; add_funds charges {} unless another is chosen.",
                        card.label
                    ),
                };
                let answer = PaymentMethods { payment_methods: cards.iter().map(Card::from).collect() };
                answer::done(&answer, sentence)
            }
            Err(err) => answer::error(&err),
        }
    }

    async fn get_usage(&self, key: &AuthenticatedKey, arguments: JsonObject) -> CallToolResult {
        let arguments = match parse::<UsageArguments>(arguments) {
            Ok(arguments) => arguments,
            Err(refusal) => return refusal.answer(),
        };
        let day = |text: Option<String>, name: &str| match text {
            None => Ok(None),
            Some(text) => NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map(Some)
                .map_err(|_| answer::bad_arguments(format!("{name} must be a date as YYYY-MM-DD."))),
        };
        let (start, end) = match (day(arguments.since, "since"), day(arguments.until, "until")) {
            (Ok(start), Ok(end)) => (start, end),
            (Err(refusal), _) | (_, Err(refusal)) => return refusal,
        };
        let query = UsageQuery { start, end, tz: arguments.timezone, member: None };
        match report(&self.state.pool, key.account_id, query).await {
            Ok(report) => {
                let first = report.items.first().map(|d| d.date.to_string()).unwrap_or_default();
                let last = report.items.last().map(|d| d.date.to_string()).unwrap_or_default();
                let cost = Decimal::from_str(&report.totals.cost).map(|cost| Usd::new(cost).exact());
                let sentence = format!(
                    "From {first} to {last} ({}): {} paid call{} costing {}.",
                    report.timezone,
                    report.totals.requests,
                    if report.totals.requests == 1 { "" } else { "s" },
                    cost.unwrap_or_default()
                );
                answer::done(&report, sentence)
            }
            Err(AppError::InvalidQuery) => {
                answer::bad_arguments("since and until must be between 2000-01-01 and 2100-12-31.")
            }
            Err(err) => answer::error(&err),
        }
    }

    async fn list_requests(&self, key: &AuthenticatedKey, arguments: JsonObject) -> CallToolResult {
        let arguments = match parse::<RequestListArguments>(arguments) {
            Ok(arguments) => arguments,
            Err(refusal) => return refusal.answer(),
        };
        if arguments.limit.is_some_and(|limit| !(1..=100).contains(&limit)) {
            return answer::bad_arguments("limit must be a whole number from 1 to 100.");
        }
        let query = RequestListQuery { limit: arguments.limit, cursor: arguments.cursor };
        match request_list(&self.state.pool, key.account_id, query).await {
            Ok(list) => {
                let more = if list.has_more { " Older calls: pass next_cursor as cursor." } else { "" };
                let sentence = format!(
                    "Your {} most recent call{}, newest first.{more}",
                    list.data.len(),
                    if list.data.len() == 1 { "" } else { "s" }
                );
                answer::done(&list, sentence)
            }
            Err(AppError::InvalidQuery) => answer::bad_arguments("cursor is not one this tool answered."),
            Err(err) => answer::error(&err),
        }
    }
}

/// Arguments that don't fit a tool: which one (`.` for the whole), and what is wrong with it.
struct Refusal {
    field: String,
    detail: String,
}

impl Refusal {
    /// The tool error saying why.
    fn answer(self) -> CallToolResult {
        answer::bad_arguments(format!("The arguments don't fit this tool ({}).", shorten(&self.detail)))
    }
}

/// The arguments as `T`, or a tool error naming the argument that is wrong and why.
fn parse<T: DeserializeOwned>(arguments: JsonObject) -> Result<T, Refusal> {
    serde_path_to_error::deserialize(serde_json::Value::Object(arguments)).map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner().to_string();
        let detail = if field == "." { inner } else { format!("{field}: {inner}") };
        Refusal { field, detail }
    })
}

/// A message quoting the model's input is cut to a readable length (a 60 KB argument must not come back).
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    if text.chars().count() <= MAX_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_CHARS).collect();
    format!("{cut}…")
}

/// "When your …" → "when your …", to follow a colon.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}
