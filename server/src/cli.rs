//! The server binary's commands besides serving (README "The back office"): `tollgate staff add <email>
//! --role <support|finance|admin>`, `tollgate staff remove <email>`, `tollgate staff list`. They need only
//! `DATABASE_URL` (no processor, no site files), migrate the database like the server does, and print one
//! line per outcome.

use sqlx::postgres::PgPoolOptions;
use std::str::FromStr;
use tollgate_core::staff::{self, Added, COMMAND_LINE};
use tollgate_domain::accounts::credentials::Email;
use tollgate_domain::staff::StaffRole;

const USAGE: &str = "usage: tollgate staff add <email> --role <support|finance|admin>
       tollgate staff remove <email>
       tollgate staff list";

/// A command the binary was asked to run instead of serving, parsed from its arguments.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    StaffAdd { email: Email, role: StaffRole },
    StaffRemove { email: Email },
    StaffList,
}

impl Command {
    /// `None` with no arguments (serve); a usage message for anything it doesn't understand.
    pub fn parse(args: &[String]) -> Result<Option<Command>, String> {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let email = |raw: &str| Email::parse(raw).map_err(|err| format!("{raw}: {err}"));
        let command = match args.as_slice() {
            [] => return Ok(None),
            ["staff", "add", address, "--role", role] | ["staff", "add", "--role", role, address] => {
                let role = StaffRole::from_str(role)
                    .map_err(|_| format!("unknown role {role:?}: support, finance or admin\n{USAGE}"))?;
                Command::StaffAdd { email: email(address)?, role }
            }
            ["staff", "remove", address] => Command::StaffRemove { email: email(address)? },
            ["staff", "list"] => Command::StaffList,
            _ => return Err(USAGE.to_string()),
        };
        Ok(Some(command))
    }

    /// Runs the command against `DATABASE_URL`; answers what to print.
    pub async fn run(self) -> Result<String, String> {
        let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set".to_string())?;
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .map_err(|err| format!("cannot connect to PostgreSQL: {err}"))?;
        sqlx::migrate!("../migrations").run(&pool).await.map_err(|err| format!("migrating failed: {err}"))?;
        let said = match self {
            Command::StaffAdd { email, role } => match staff::add(&pool, &email, role, COMMAND_LINE).await {
                Ok(Added::New) => format!("{} is now staff ({})", email.as_str(), role.as_str()),
                Ok(Added::RoleChanged { from }) => {
                    format!("{} is now {} (was {})", email.as_str(), role.as_str(), from.as_str())
                }
                Ok(Added::Unchanged) => format!("{} is already staff ({})", email.as_str(), role.as_str()),
                Err(err) => return Err(err.message()),
            },
            Command::StaffRemove { email } => match staff::remove(&pool, &email, COMMAND_LINE).await {
                Ok(true) => format!("{} is no longer staff", email.as_str()),
                Ok(false) => format!("{} was not staff", email.as_str()),
                Err(err) => return Err(err.message()),
            },
            Command::StaffList => {
                let members = staff::list(&pool).await.map_err(|err| err.message())?;
                if members.is_empty() {
                    "no staff yet: tollgate staff add <email> --role admin".to_string()
                } else {
                    members
                        .iter()
                        .map(|m| format!("{}\t{}", m.email, m.role.as_str()))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            }
        };
        pool.close().await;
        Ok(said)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Option<Command>, String> {
        Command::parse(&line.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn the_staff_commands_parse_and_anything_else_is_refused_with_the_usage() {
        assert_eq!(parse(""), Ok(None));
        let ana = Email::parse("ana@example.test").unwrap();
        assert_eq!(
            parse("staff add Ana@Example.test --role finance"),
            Ok(Some(Command::StaffAdd { email: ana.clone(), role: StaffRole::Finance }))
        );
        assert_eq!(
            parse("staff add --role admin ana@example.test"),
            Ok(Some(Command::StaffAdd { email: ana.clone(), role: StaffRole::Admin }))
        );
        assert_eq!(parse("staff remove ana@example.test"), Ok(Some(Command::StaffRemove { email: ana })));
        assert_eq!(parse("staff list"), Ok(Some(Command::StaffList)));
        assert!(parse("staff add ana@example.test --role owner").unwrap_err().contains("unknown role"));
        assert!(parse("staff add not-an-email --role admin").is_err());
        for bad in ["serve", "staff", "staff add ana@example.test", "staff remove", "--help"] {
            assert!(parse(bad).unwrap_err().starts_with("usage:"), "{bad}");
        }
    }
}
