//! The documentation holds together: every relative link in README.md and
//! docs/*.md points at a file that exists and, where it names an `#anchor`,
//! at a heading of that file (GitHub's heading ids); and the README stays a
//! page a user reads in two minutes: at most 220 lines, no paragraph over 12
//! lines. Plain files only, no root needed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const README_MAX_LINES: usize = 220;
const PARAGRAPH_MAX_LINES: usize = 12;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md.
fn documents() -> Vec<PathBuf> {
    let mut docs = vec![root().join("README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    more.sort();
    assert!(!more.is_empty(), "docs/ holds no .md file");
    docs.extend(more);
    docs
}

/// The lines outside fenced code blocks (```), with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// `line` without its inline code spans (`...`), so that a `[x](y)` quoted
/// as code is not taken for a link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// GitHub's id for a heading: lower case, letters, digits, `-` and `_` kept,
/// spaces made `-`, everything else dropped; markdown link syntax reduced to
/// its text.
fn slug(heading: &str) -> String {
    let text = heading.replace('`', "");
    let mut plain = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // [text](target) -> text
        if c == ']' && chars.peek() == Some(&'(') {
            for d in chars.by_ref() {
                if d == ')' {
                    break;
                }
            }
            continue;
        }
        if c != '[' {
            plain.push(c);
        }
    }
    plain
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The ids of a document's headings, with GitHub's `-1`, `-2` suffixes for
/// repeated ones.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if hashes == 0 || hashes > 6 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let n = seen.entry(base.clone()).or_insert(0);
        out.insert(if *n == 0 { base.clone() } else { format!("{base}-{n}") });
        *n += 1;
    }
    out
}

/// The targets of the inline links `[text](target)` outside code, with
/// their line numbers.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (number, line) in prose_lines(text) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("").to_string();
            out.push((number, target));
            rest = &after[end..];
        }
    }
    out
}

/// Every broken relative link of the document at `path` whose text is
/// `text`, as `file:line: target: why`.
fn broken_links(path: &Path, text: &str) -> Vec<String> {
    let mut broken = Vec::new();
    let name = path.strip_prefix(root()).unwrap_or(path).display().to_string();
    for (number, target) in links(text) {
        if target.is_empty() {
            broken.push(format!("{name}:{number}: empty link target"));
            continue;
        }
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = match target.split_once('#') {
            Some((file, anchor)) => (file, Some(anchor)),
            None => (target.as_str(), None),
        };
        let resolved = if file.is_empty() { path.to_path_buf() } else { path.parent().unwrap().join(file) };
        if !resolved.exists() {
            broken.push(format!("{name}:{number}: {target}: {} does not exist", resolved.display()));
            continue;
        }
        if let Some(anchor) = anchor {
            if resolved.extension().map_or(true, |e| e != "md") {
                broken.push(format!("{name}:{number}: {target}: an anchor into a file that is not markdown"));
                continue;
            }
            let heads = anchors(&std::fs::read_to_string(&resolved).unwrap());
            if !heads.contains(anchor) {
                broken.push(format!("{name}:{number}: {target}: no heading with id {anchor:?}"));
            }
        }
    }
    broken
}

/// The paragraphs (runs of non-blank lines outside code blocks, tables and
/// lists included) longer than `max` lines, as `line: length`.
fn long_paragraphs(text: &str, max: usize) -> Vec<String> {
    let mut long = Vec::new();
    let (mut start, mut len, mut last) = (0, 0, 0);
    for (number, line) in prose_lines(text) {
        let contiguous = number == last + 1;
        last = number;
        if line.trim().is_empty() || !contiguous {
            if len > max {
                long.push(format!("line {start}: {len} lines"));
            }
            len = 0;
            if line.trim().is_empty() {
                continue;
            }
        }
        if len == 0 {
            start = number;
        }
        len += 1;
    }
    if len > max {
        long.push(format!("line {start}: {len} lines"));
    }
    long
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        checked += links(&text).len();
        broken.extend(broken_links(&doc, &text));
    }
    assert!(checked > 50, "only {checked} links found: the link scanner is broken");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_docs_page_is_reachable_from_the_readme() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let targets: BTreeSet<String> =
        links(&readme).into_iter().map(|(_, t)| t.split('#').next().unwrap().to_string()).collect();
    let missing: Vec<String> = documents()
        .into_iter()
        .skip(1)
        .map(|p| format!("docs/{}", p.file_name().unwrap().to_string_lossy()))
        .filter(|d| !targets.contains(d))
        .collect();
    assert!(missing.is_empty(), "README.md links to none of: {missing:?}");
}

#[test]
fn the_readme_is_short_and_its_paragraphs_too() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= README_MAX_LINES, "README.md has {lines} lines, at most {README_MAX_LINES}");
    let long = long_paragraphs(&readme, PARAGRAPH_MAX_LINES);
    assert!(long.is_empty(), "README.md paragraphs over {PARAGRAPH_MAX_LINES} lines: {long:?}");
}

#[test]
fn the_checks_catch_what_they_are_for() {
    // Heading ids as GitHub makes them.
    assert_eq!(slug(" Summary mode (`-s`) and durations (`-T`)"), "summary-mode--s-and-durations--t");
    assert_eq!(slug(" strace's test suite as the oracle"), "straces-test-suite-as-the-oracle");
    assert_eq!(slug(" Results: 2026-11-25, commit e86bde4"), "results-2026-11-25-commit-e86bde4");
    let heads = anchors("# A\n## B\n## B\n```\n## C\n```\n");
    assert_eq!(heads, ["a", "b", "b-1"].iter().map(|s| s.to_string()).collect());
    // A missing file, a missing anchor, a link in code (ignored), a good one.
    let readme = root().join("README.md");
    let text = "[x](docs/nothing-here.md) [y](README.md#no-such-heading) `[z](nowhere.md)`\n\
                ```\n[w](nowhere.md)\n```\n[v](README.md#read-more)\n";
    let broken = broken_links(&readme, text);
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert!(broken[0].contains("nothing-here.md") && broken[1].contains("no-such-heading"), "{broken:?}");
    // A 13-line paragraph, and a 12-line one beside a code block.
    let long: String = "word\n".repeat(13);
    assert_eq!(long_paragraphs(&long, 12).len(), 1);
    let fine = format!("{}\n```\n{}```\n", "word\n".repeat(12), "code\n".repeat(20));
    assert!(long_paragraphs(&fine, 12).is_empty());
}

/// `argtrace SUBJECT --help` ends with two or three examples, as bcc's tools
/// do, and the man page's EXAMPLES section, the complete reference, has each
/// of them.
#[test]
fn every_subjects_help_ends_with_examples_the_man_page_has() {
    let man = std::fs::read_to_string(root().join("man/argtrace.1")).unwrap();
    let section = man.split(".SH EXAMPLES").nth(1).expect("the man page has EXAMPLES");
    let section = section.split("\n.SH ").next().unwrap();
    let man_examples: BTreeSet<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix(".B "))
        .map(|l| l.replace("\\-", "-").split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut missing = Vec::new();
    for subject in ["clone", "mmap", "tcp-connect", "sock", "tcp-send", "skb", "syscall"] {
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_argtrace")).args([subject, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "argtrace {subject} --help");
        let help = String::from_utf8(out.stdout).unwrap();
        let (_, tail) =
            help.rsplit_once("\nExamples:\n").unwrap_or_else(|| panic!("{subject} --help has no Examples:\n{help}"));
        let examples: Vec<&str> = tail.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(
            (2..=3).contains(&examples.len()),
            "{subject}: {} examples at the end of --help:\n{tail}",
            examples.len()
        );
        for line in examples {
            let (command, what) =
                line.split_once(" # ").unwrap_or_else(|| panic!("{subject}: no `# what` in {line:?}"));
            let command = command.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(command.starts_with(&format!("argtrace {subject}")), "{subject}: {line:?}");
            assert!(!what.trim().is_empty(), "{subject}: {line:?}");
            if !man_examples.contains(&command) {
                missing.push(command);
            }
        }
    }
    assert!(missing.is_empty(), "the man page's EXAMPLES lacks: {missing:#?}");
}

/// The figures (a number with a unit: `1.3 µs`, `0.98 ×`, `84 %`) in
/// README.md's prose and tables, outside code blocks.
fn figures(text: &str) -> BTreeSet<String> {
    const UNITS: [&str; 8] = ["µs", "ns", "ms", "MiB", "×", "%", "s", "MB"];
    let mut out = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let line = without_code_spans(line);
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let starts =
                chars[i].is_ascii_digit() && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '.'));
            if !starts {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || ".–".contains(chars[j])) {
                j += 1;
            }
            let number: String = chars[i..j].iter().collect();
            let rest: String = chars[j..].iter().collect();
            let rest = rest.strip_prefix(' ').unwrap_or(&rest);
            let unit = UNITS
                .iter()
                .find(|u| rest.starts_with(**u) && !rest[u.len()..].starts_with(|c: char| c.is_alphanumeric()));
            if let Some(unit) = unit {
                out.insert(format!("{number} {unit}"));
            }
            i = j.max(i + 1);
        }
    }
    out
}

/// Every figure the README quotes is in docs/, where its method and date
/// are (spaced as `1.3 µs` or written `1.3µs`).
#[test]
fn every_figure_in_the_readme_is_in_docs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let docs: String = documents().iter().skip(1).map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let found = figures(&readme);
    assert!(found.len() >= 15, "only {} figures found in README.md: {found:?}", found.len());
    let missing: Vec<&String> =
        found.iter().filter(|f| !docs.contains(f.as_str()) && !docs.contains(&f.replace(' ', ""))).collect();
    assert!(missing.is_empty(), "README.md figures that docs/ does not have: {missing:?}");
    assert_eq!(figures("a 1.3 µs call, 0.98 × the rest, 84 % lost, 5.8 or 2026-12-05"), {
        ["1.3 µs", "0.98 ×", "84 %"].iter().map(|s| s.to_string()).collect::<BTreeSet<_>>()
    });
}
