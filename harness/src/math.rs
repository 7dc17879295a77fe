//! LaTeX to MathML at build time, so the book's equations render offline with no script.
//!
//! `$...$` is inline math, `$$...$$` display math (on one line, or opening and closing lines of
//! their own). Fenced code blocks and inline code spans are left alone; `\$` is a literal dollar.

use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};

fn converter() -> LatexToMathML {
    LatexToMathML::new(MathCoreConfig::default()).expect("default configuration is valid")
}

/// Converts one formula; errors name the formula.
pub fn to_mathml(latex: &str, display: bool) -> Result<String, String> {
    let mode = if display {
        MathDisplay::Block
    } else {
        MathDisplay::Inline
    };
    converter()
        .convert_with_local_state(latex, mode)
        .map(|r| protect(&r.mathml))
        .map_err(|e| format!("cannot convert ${latex}$: {e:?}"))
}

/// Markdown must not reinterpret characters inside the MathML of an inline formula.
fn protect(mathml: &str) -> String {
    mathml
        .replace('*', "&#42;")
        .replace('_', "&#95;")
        .replace('\\', "&#92;")
        .replace('`', "&#96;")
        .replace('\n', "")
}

/// Converts all math of a markdown document.
pub fn convert_markdown(md: &str) -> Result<String, String> {
    let mut out = String::with_capacity(md.len());
    let mut in_fence = false;
    let mut display: Option<String> = None;
    for line in md.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            out.push_str(line);
            continue;
        }
        if in_fence {
            out.push_str(line);
            continue;
        }
        if let Some(buf) = display.as_mut() {
            if trimmed == "$$" {
                let formula = std::mem::take(buf);
                display = None;
                out.push_str(&display_block(&formula)?);
            } else {
                buf.push_str(line);
            }
            continue;
        }
        if trimmed == "$$" {
            display = Some(String::new());
            continue;
        }
        if trimmed.len() > 4 && trimmed.starts_with("$$") && trimmed.ends_with("$$") {
            out.push_str(&display_block(&trimmed[2..trimmed.len() - 2])?);
            continue;
        }
        out.push_str(&inline_line(line)?);
    }
    if display.is_some() {
        return Err("a $$ display formula is not closed".into());
    }
    Ok(out)
}

fn display_block(formula: &str) -> Result<String, String> {
    // A <div> starts an HTML block: markdown leaves its content alone.
    Ok(format!(
        "\n<div class=\"math-display\">\n{}\n</div>\n\n",
        to_mathml(formula.trim(), true)?
    ))
}

fn inline_line(line: &str) -> Result<String, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut k = 0;
    while k < chars.len() {
        let ch = chars[k];
        if ch == '`' {
            // Copy an inline code span verbatim.
            let run = chars[k..].iter().take_while(|&&c| c == '`').count();
            let fence: String = "`".repeat(run);
            let rest: String = chars[k + run..].iter().collect();
            if let Some(end) = rest.find(&fence) {
                out.push_str(&fence);
                out.push_str(&rest[..end + run]);
                k += run + rest[..end].chars().count() + run;
                continue;
            }
            out.push_str(&fence);
            k += run;
            continue;
        }
        if ch == '\\' && chars.get(k + 1) == Some(&'$') {
            out.push('$');
            k += 2;
            continue;
        }
        if ch == '$' && chars.get(k + 1).is_some_and(|c| !c.is_whitespace()) {
            // Find the closing $: not preceded by whitespace or backslash, not followed by a digit.
            let mut j = k + 1;
            let mut close = None;
            while j < chars.len() {
                if chars[j] == '$'
                    && chars[j - 1] != '\\'
                    && !chars[j - 1].is_whitespace()
                    && !chars.get(j + 1).is_some_and(|c| c.is_ascii_digit())
                {
                    close = Some(j);
                    break;
                }
                j += 1;
            }
            if let Some(j) = close {
                let formula: String = chars[k + 1..j].iter().collect();
                out.push_str(&to_mathml(&formula, false)?);
                k = j + 1;
                continue;
            }
        }
        out.push(ch);
        k += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_display_math_become_mathml() {
        let md = "The plan $P_{ij} = e^{-\\eta C_{ij}}$ costs \\$5.\n\n$$\n\\nabla f = r - P\\mathbf{1}\n$$\n";
        let html = convert_markdown(md).unwrap();
        assert!(html.contains("<math"), "{html}");
        assert!(html.contains("math-display"));
        assert!(html.contains("costs $5."));
        assert!(!html.contains("P_{ij}"));
    }

    #[test]
    fn code_is_left_alone() {
        let md = "Run `echo $HOME $PATH` now.\n```\nx = $a$\n```\n";
        assert_eq!(convert_markdown(md).unwrap(), md);
    }

    #[test]
    fn unclosed_display_math_is_an_error() {
        assert!(convert_markdown("$$\nx\n").is_err());
    }
}
