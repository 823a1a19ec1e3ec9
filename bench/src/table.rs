//! The report: one markdown table of figures, each against its budget.

/// How a measurement compares with its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Within,
    Over,
    /// No budget: the figure is only reported.
    Reported,
    /// The measurement itself failed.
    Failed,
}

/// One row of the table.
#[derive(Debug)]
pub struct Figure {
    pub name: String,
    pub measured: String,
    pub budget: String,
    pub verdict: Verdict,
}

impl Figure {
    pub fn budgeted(name: impl Into<String>, measured: String, budget: &str, within: bool) -> Self {
        let verdict = if within {
            Verdict::Within
        } else {
            Verdict::Over
        };
        Self {
            name: name.into(),
            measured,
            budget: budget.to_string(),
            verdict,
        }
    }

    pub fn reported(name: impl Into<String>, measured: String) -> Self {
        Self {
            name: name.into(),
            measured,
            budget: "—".to_string(),
            verdict: Verdict::Reported,
        }
    }

    pub fn failed(name: impl Into<String>, error: &str) -> Self {
        Self {
            name: name.into(),
            measured: format!("error: {error}"),
            budget: "—".to_string(),
            verdict: Verdict::Failed,
        }
    }
}

/// The figures of one measurement, or a single failed row naming it.
pub fn or_failed(name: &str, result: Result<Vec<Figure>, String>) -> Vec<Figure> {
    result.unwrap_or_else(|error| vec![Figure::failed(name, &error)])
}

/// `| figure | measured | budget | verdict |`, one line per figure.
pub fn render(figures: &[Figure]) -> String {
    let mut table = String::from("| figure | measured | budget | verdict |\n|---|---|---|---|\n");
    for figure in figures {
        let verdict = match figure.verdict {
            Verdict::Within => "ok",
            Verdict::Over => "**over budget**",
            Verdict::Reported => "—",
            Verdict::Failed => "**failed**",
        };
        table.push_str(&format!(
            "| {} | {} | {} | {verdict} |\n",
            cell(&figure.name),
            cell(&figure.measured),
            cell(&figure.budget)
        ));
    }
    table
}

/// Keeps free text (error messages) inside its cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
