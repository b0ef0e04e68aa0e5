//! `cargo xtask terraform`: the infrastructure code (`terraform/`) checked offline, like code.
//!
//! Steps, each printed as `==> name`:
//! 1. `terraform fmt -check -recursive`;
//! 2. every variable validation has a test that shows it refusing a value (`expect_failures`),
//!    and every module's README names each of its inputs and outputs;
//! 3. in every root (each module, example and environment): `terraform init -backend=false`,
//!    `terraform validate`, and `terraform test` where there are tests: plans and applies
//!    against mock AWS providers;
//! 4. the regions check: in a copy of the tree, a new folder in `regions/` (a fourth region)
//!    without its module block must fail the production tests, which pass once it is added;
//! 5. checkov (pinned, installed into `.local/venv-checkov` when missing): no failed check, and
//!    every skip carries its reason in the code.
//!
//! Step 3 of each root, step 4 and step 5 are independent jobs, run two at a time (as many as
//! the machine has CPUs, up to four); each job's output is printed whole when it ends.
//!
//! Nothing is downloaded from a Terraform registry: a CLI configuration written to
//! `.local/terraform/cli.tfrc` installs providers only from the filesystem mirror of the machine
//! image (`/opt/tf-plugins`, or `SHOP_TF_PROVIDER_MIRROR`). Without Terraform or the provider the
//! step says what is missing and fails.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

/// The AWS provider the configurations pin, and that the mirror must hold.
const AWS_PROVIDER_VERSION: &str = "5.100.0";
/// The oldest Terraform the configurations accept (`required_version`).
const MIN_TERRAFORM: (u32, u32) = (1, 9);
/// Where the machine image keeps its copy of the providers.
const DEFAULT_MIRROR: &str = "/opt/tf-plugins";
const MIRROR_ENV: &str = "SHOP_TF_PROVIDER_MIRROR";
/// checkov, pinned: a new release brings new checks, adopted by changing this line.
const CHECKOV_VERSION: &str = "3.3.30";
/// At most this many checkov checks may be skipped (each with its reason in the code).
const MAX_CHECKOV_SKIPS: usize = 5;

pub fn run() -> Result<()> {
    let started = Instant::now();
    checks()?;
    eprintln!("terraform checks passed in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Every offline check of `terraform/`; `cargo xtask test` runs them too.
pub fn checks() -> Result<()> {
    let root = testkit::workspace_root();
    let tree = root.join("terraform");
    let tf = Terraform::find(&root)?;

    step("terraform fmt -check -recursive", tf.command(&tree).args(["fmt", "-check", "-recursive", "-diff"]))?;

    let roots = terraform_roots(&tree)?;
    eprintln!("==> every variable validation has a test");
    let counted = validations_have_tests(&roots)?;
    eprintln!("{counted} validations, each refused by an expect_failures run");
    eprintln!("==> every module input and output is in its README");
    readmes_name_inputs_and_outputs(&roots)?;

    // Longest first, so that two workers finish close together.
    let mut jobs: Vec<Job> = vec![Job::new("a new region folder needs its module block", |log| {
        new_region_needs_its_module_block(&tf, &root, log)
    })];
    let mut by_size: Vec<&PathBuf> = roots.iter().collect();
    by_size.sort_by_key(|dir| std::cmp::Reverse(dir.join("tests").is_dir()));
    for dir in by_size {
        let name = relative(dir, &root);
        let (tf, dir) = (&tf, dir.as_path());
        jobs.push(Job::new(&name.clone(), move |log| {
            tf.init(dir, &name, log)?;
            tf.run(dir, &format!("terraform validate ({name})"), &["validate", "-no-color"], log)?;
            if dir.join("tests").is_dir() {
                tf.run(dir, &format!("terraform test ({name})"), &["test", "-no-color"], log)?;
            }
            Ok(())
        }));
    }
    jobs.push(Job::new("checkov", |log| checkov(&root, log)));
    run_jobs(jobs)
}

/// What a job does, writing what it did to its log.
type JobFn<'a> = Box<dyn FnOnce(&mut String) -> Result<()> + Send + 'a>;

/// A named piece of the checks.
struct Job<'a> {
    name: String,
    run: JobFn<'a>,
}

impl<'a> Job<'a> {
    fn new(name: &str, run: impl FnOnce(&mut String) -> Result<()> + Send + 'a) -> Self {
        Self { name: name.to_owned(), run: Box::new(run) }
    }
}

/// Runs the jobs on as many threads as the machine has CPUs (two to four), printing each job's
/// log when it ends; fails if any job failed, after all have run.
fn run_jobs(jobs: Vec<Job>) -> Result<()> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    let queue = Mutex::new(jobs.into_iter());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let Some(job) = queue.lock().expect("job queue").next() else { break };
                    let started = Instant::now();
                    let mut log = String::new();
                    let result = (job.run)(&mut log);
                    let seconds = started.elapsed().as_secs_f64();
                    let mut out = std::io::stderr().lock();
                    let verdict = if result.is_ok() { "ok" } else { "FAILED" };
                    let _ = writeln!(out, "==> [{}] {verdict} in {seconds:.0} s\n{log}", job.name);
                    if let Err(e) = result {
                        let _ = writeln!(out, "error: {e:#}\n");
                        failures.lock().expect("failures").push(format!("{}: {e:#}", job.name));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("failures");
    if !failures.is_empty() {
        bail!("terraform checks failed:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

/// The Terraform binary and the environment every run gets.
struct Terraform {
    cli_config: PathBuf,
}

impl Terraform {
    /// Checks that Terraform and the provider mirror are there, and writes the CLI configuration.
    fn find(root: &Path) -> Result<Self> {
        let version = Command::new("terraform").arg("version").env("CHECKPOINT_DISABLE", "1").output();
        let version = match version {
            Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
            _ => bail!(
                "terraform is not installed (not on the PATH): the Terraform checks need Terraform {}.{} or later \
                 (https://developer.hashicorp.com/terraform/install)",
                MIN_TERRAFORM.0,
                MIN_TERRAFORM.1
            ),
        };
        let found = parse_terraform_version(&version).context("reading `terraform version`")?;
        ensure!(
            found >= MIN_TERRAFORM,
            "terraform {}.{} is too old: the configurations need {}.{} or later",
            found.0,
            found.1,
            MIN_TERRAFORM.0,
            MIN_TERRAFORM.1
        );

        let mirror = PathBuf::from(std::env::var(MIRROR_ENV).unwrap_or_else(|_| DEFAULT_MIRROR.into()));
        let platform = terraform_platform();
        let provider = mirror.join(format!("registry.terraform.io/hashicorp/aws/{AWS_PROVIDER_VERSION}/{platform}"));
        let has_binary = std::fs::read_dir(&provider)
            .map(|entries| {
                entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("terraform-provider-aws"))
            })
            .unwrap_or(false);
        ensure!(
            has_binary,
            "the AWS provider {AWS_PROVIDER_VERSION} is not in the provider mirror: expected {}/terraform-provider-aws_*. \
             Terraform here installs providers only from that mirror, never from the registry: put the provider \
             there (`terraform providers mirror` makes one), or point {MIRROR_ENV} at a mirror that has it",
            provider.display()
        );

        let dir = root.join(".local").join("terraform");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let cli_config = dir.join("cli.tfrc");
        let config = format!(
            "# Written by `cargo xtask terraform`: providers come from the machine's mirror only.\n\
             provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    \
             include = [\"registry.terraform.io/hashicorp/*\"]\n  }}\n  direct {{\n    exclude = [\"*/*\"]\n  }}\n}}\n",
            mirror.display()
        );
        std::fs::write(&cli_config, config).with_context(|| format!("writing {}", cli_config.display()))?;
        Ok(Self { cli_config })
    }

    fn command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new("terraform");
        cmd.current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0");
        cmd
    }

    /// `terraform init -backend=false`: links the mirror's provider and the local modules. Its
    /// output is kept only when it fails.
    fn init(&self, dir: &Path, name: &str, log: &mut String) -> Result<()> {
        let _ = writeln!(log, "==> terraform init ({name})");
        let out = self.output(dir, &["init", "-backend=false", "-input=false", "-no-color"])?;
        if !out.status.success() {
            append(log, &out);
            bail!("terraform init failed in {name}");
        }
        Ok(())
    }

    /// Runs `terraform <args>` in `dir`, its output into the log.
    fn run(&self, dir: &Path, name: &str, args: &[&str], log: &mut String) -> Result<()> {
        let _ = writeln!(log, "==> {name}");
        let out = self.output(dir, args)?;
        append(log, &out);
        ensure!(out.status.success(), "{name} failed");
        Ok(())
    }

    fn output(&self, dir: &Path, args: &[&str]) -> Result<Output> {
        self.command(dir).args(args).output().with_context(|| format!("running terraform {}", args.join(" ")))
    }
}

/// A finished command's output, trimmed, added to a log.
fn append(log: &mut String, out: &Output) {
    for text in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(text);
        let text = text.trim();
        if !text.is_empty() {
            let _ = writeln!(log, "{text}");
        }
    }
}

/// `1.11.4` from `Terraform v1.11.4\non linux_amd64`.
fn parse_terraform_version(text: &str) -> Option<(u32, u32)> {
    let version = text.split_whitespace().find_map(|w| w.strip_prefix('v'))?;
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Terraform's name of this machine's platform (`linux_amd64`).
fn terraform_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// Every folder of the tree holding `.tf` files (modules, examples, environments), sorted.
fn terraform_roots(tree: &Path) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, roots: &mut Vec<PathBuf>) -> Result<()> {
        let mut has_tf = false;
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if entry.file_type()?.is_dir() {
                if name != ".terraform" && name != "tests" && name != "templates" {
                    walk(&path, roots)?;
                }
            } else if path.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            roots.push(dir.to_path_buf());
        }
        Ok(())
    }
    let mut roots = Vec::new();
    walk(tree, &mut roots)?;
    roots.sort();
    ensure!(!roots.is_empty(), "no Terraform configuration under {}", tree.display());
    Ok(roots)
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

/// Checks that each variable has at least as many `expect_failures = [var.<name>]` runs in its
/// root's tests as it has `validation` blocks. Returns the number of validations.
fn validations_have_tests(roots: &[PathBuf]) -> Result<usize> {
    let mut total = 0;
    let mut missing = Vec::new();
    for dir in roots {
        let validations = count_validations(&read_tf_files(dir, "tf")?);
        if validations.is_empty() {
            continue;
        }
        let refusals = count_expected_failures(&read_tf_files(&dir.join("tests"), "tftest.hcl").unwrap_or_default());
        for (variable, count) in &validations {
            total += count;
            let tested = refusals.get(variable).copied().unwrap_or(0);
            if tested < *count {
                missing.push(format!(
                    "{}: var.{variable} has {count} validation(s) but {tested} expect_failures run(s)",
                    dir.display()
                ));
            }
        }
    }
    if !missing.is_empty() {
        bail!("variable validations without a test that shows them refusing a value:\n  {}", missing.join("\n  "));
    }
    Ok(total)
}

/// Checks that the README of each root with inputs names every `variable` and `output` (in
/// backquotes, as its tables do).
fn readmes_name_inputs_and_outputs(roots: &[PathBuf]) -> Result<()> {
    let mut missing = Vec::new();
    for dir in roots {
        let readme = dir.join("README.md");
        let Ok(text) = std::fs::read_to_string(&readme) else { continue };
        let config = read_tf_files(dir, "tf")?;
        for (kind, name) in declared_names(&config) {
            if !text.contains(&format!("`{name}`")) {
                missing.push(format!("{}: {kind} `{name}`", readme.display()));
            }
        }
    }
    ensure!(missing.is_empty(), "inputs and outputs missing from their README:\n  {}", missing.join("\n  "));
    Ok(())
}

/// `("variable", name)` and `("output", name)` for each block declared in a configuration.
fn declared_names(text: &str) -> Vec<(&'static str, String)> {
    let mut names = Vec::new();
    for line in text.lines() {
        for kind in ["variable", "output"] {
            if let Some(rest) = line.strip_prefix(kind).and_then(|r| r.strip_prefix(" \""))
                && let Some(name) = rest.split('"').next()
            {
                names.push((kind, name.to_owned()));
            }
        }
    }
    names
}

/// The contents of the files of `dir` whose names end in `.{extension}`.
fn read_tf_files(dir: &Path, extension: &str) -> Result<String> {
    let mut text = String::new();
    let suffix = format!(".{extension}");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(&suffix)))
        .collect();
    paths.sort();
    for path in paths {
        text.push_str(&std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?);
        text.push('\n');
    }
    Ok(text)
}

/// `validation` blocks per variable, from the text of a configuration.
fn count_validations(text: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("variable \"") {
            current = rest.split('"').next().map(str::to_owned);
        } else if line.starts_with("validation {")
            && let Some(variable) = &current
        {
            *counts.entry(variable.clone()).or_insert(0) += 1;
        }
    }
    counts
}

/// `expect_failures` runs per variable they name, from the text of test files.
fn count_expected_failures(text: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let Some(list) = line.trim().strip_prefix("expect_failures") else { continue };
        for item in list.trim_start_matches([' ', '=', '[']).trim_end_matches(']').split(',') {
            if let Some(variable) = item.trim().strip_prefix("var.") {
                *counts.entry(variable.to_owned()).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// A region that could be opened next (the fourth), for the regions check.
const NEW_REGION: &str = "sa-east";
const NEW_REGION_TOML: &str = "# South America (East): Brazil.\nid = \"sa-east\"\nname = \"South America (East)\"\n\
default_market = \"br\"\nfailover = [\"us-east\", \"eu-west\"]\n";
const NEW_REGION_TF: &str = r#"# The sa-east region (regions/sa-east/) in sa-east-1.

provider "aws" {
  alias  = "sa_east"
  region = "sa-east-1"

  default_tags {
    tags = local.default_tags
  }
}

module "sa_east" {
  source    = "../../modules/region"
  providers = { aws = aws.sa_east }

  name         = "sa-east"
  vpc_cidr     = "10.40.0.0/16"
  release      = var.release
  regions_dir  = local.regions_dir
  peers        = [for r in local.regions : r if r.name != "sa-east"]
  core_network = module.global.core_network
}
"#;
const NEW_REGION_MOCK: &str = r#"
mock_provider "aws" {
  alias  = "sa_east"
  source = "../../tests/mocks"

  mock_data "aws_region" {
    defaults = { name = "sa-east-1" }
  }
}
"#;

/// In a copy of `terraform/` and the region files: adds `regions/sa-east/region.toml` and shows
/// the production tests failing on the regions check; then adds the region's module block (its
/// file, its summary in `local.regions`, its mock provider) and shows them passing.
fn new_region_needs_its_module_block(tf: &Terraform, root: &Path, log: &mut String) -> Result<()> {
    let copy = TempDir::new("shop-terraform-regions")?;
    copy_tree(&root.join("terraform"), &copy.0.join("terraform"))?;
    let regions = root.join("regions");
    for entry in std::fs::read_dir(&regions)?.flatten() {
        let file = entry.path().join("region.toml");
        if file.is_file() {
            let dir = copy.0.join("regions").join(entry.file_name());
            std::fs::create_dir_all(&dir)?;
            std::fs::copy(&file, dir.join("region.toml"))?;
        }
    }
    let new_folder = copy.0.join("regions").join(NEW_REGION);
    std::fs::create_dir_all(&new_folder)?;
    std::fs::write(new_folder.join("region.toml"), NEW_REGION_TOML)?;

    let production = copy.0.join("terraform/envs/production");
    let test = |what: &str, log: &mut String| -> Result<Output> {
        tf.init(&production, what, log)?;
        let _ = writeln!(log, "==> terraform test ({what})");
        tf.output(&production, &["test", "-no-color"])
    };

    let out = test("copy with regions/sa-east and no module block", log)?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // Terraform wraps its messages to the width of a terminal.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let refused = words.contains("differ from the folders in regions/") && words.contains(NEW_REGION);
    if out.status.success() || !refused {
        append(log, &out);
        bail!("the production plan did not refuse regions/{NEW_REGION} without its module block");
    }
    let _ = writeln!(log, "refused, as it must be: the module instances differ from the folders in regions/");

    std::fs::write(production.join(format!("{NEW_REGION}.tf")), NEW_REGION_TF)?;
    let main = std::fs::read_to_string(production.join("main.tf"))?;
    let anchor = "    module.ap_southeast.summary,\n";
    ensure!(main.contains(anchor), "envs/production/main.tf no longer lists `{}` in local.regions", anchor.trim());
    std::fs::write(
        production.join("main.tf"),
        main.replace(anchor, &format!("{anchor}    module.sa_east.summary,\n")),
    )?;
    let tests = production.join("tests/production.tftest.hcl");
    let mut text = std::fs::read_to_string(&tests)?;
    text.push_str(NEW_REGION_MOCK);
    std::fs::write(&tests, text)?;

    let out = test("copy with regions/sa-east and its module block", log)?;
    append(log, &out);
    ensure!(out.status.success(), "the production tests failed with regions/{NEW_REGION} and its module block");
    let _ = writeln!(log, "passed: one module block opens the region");
    Ok(())
}

/// A folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> Result<Self> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.subsec_nanos();
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies a configuration tree, leaving out Terraform's working folders.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)?.flatten() {
        let name = entry.file_name();
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            if name != ".terraform" {
                copy_tree(&src, &dst)?;
            }
        } else {
            std::fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

/// checkov on the whole tree: installs the pinned version when missing, then requires no failed
/// check, every skip with a reason, and at most `MAX_CHECKOV_SKIPS` checks skipped.
fn checkov(root: &Path, log: &mut String) -> Result<()> {
    let checkov = ensure_checkov(root, log)?;
    let _ = writeln!(log, "==> checkov {CHECKOV_VERSION} --directory terraform");
    let out = Command::new(&checkov)
        .current_dir(root)
        .args(["--directory", "terraform", "--framework", "terraform", "--compact", "--skip-download"])
        .args(["--output", "json"])
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .context("running checkov")?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!("checkov's report is not JSON: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or(""))
    })?;
    // One report per framework: a list, or a single object.
    let reports = match report {
        serde_json::Value::Array(reports) => reports,
        single => vec![single],
    };
    let count = |key: &str| reports.iter().map(|r| r["summary"][key].as_u64().unwrap_or(0)).sum::<u64>();
    let (passed, failed_count, skipped_count) = (count("passed"), count("failed"), count("skipped"));
    let mut failed = Vec::new();
    let mut skipped = BTreeMap::<String, (String, usize)>::new();
    for report in &reports {
        for check in report["results"]["failed_checks"].as_array().into_iter().flatten() {
            failed.push(format!(
                "{} {} ({}:{})",
                check["check_id"].as_str().unwrap_or("?"),
                check["resource"].as_str().unwrap_or("?"),
                check["file_path"].as_str().unwrap_or("?"),
                check["file_line_range"][0]
            ));
        }
        for check in report["results"]["skipped_checks"].as_array().into_iter().flatten() {
            let id = check["check_id"].as_str().unwrap_or("?").to_owned();
            let reason = check["check_result"]["suppress_comment"].as_str().unwrap_or("").trim().to_owned();
            skipped.entry(id).or_insert((reason, 0)).1 += 1;
        }
    }
    let _ = writeln!(
        log,
        "checkov: {passed} passed, {failed_count} failed, {skipped_count} skipped: {} checks skipped in the code, \
         each on every instance of its module",
        skipped.len()
    );
    for (id, (reason, count)) in &skipped {
        let _ = writeln!(log, "  skipped {id} ({count} resources): {reason}");
    }
    if failed_count > 0 {
        bail!("checkov found {failed_count} failed checks:\n  {}", failed.join("\n  "));
    }
    let unexplained: Vec<&String> = skipped
        .iter()
        .filter(|(_, (reason, _))| reason.is_empty() || reason == "No comment provided")
        .map(|(id, _)| id)
        .collect();
    ensure!(unexplained.is_empty(), "checkov checks skipped without a reason in the code: {unexplained:?}");
    ensure!(
        skipped.len() <= MAX_CHECKOV_SKIPS,
        "{} checkov checks are skipped, at most {MAX_CHECKOV_SKIPS} may be: fix the code instead",
        skipped.len()
    );
    Ok(())
}

/// `.local/venv-checkov/bin/checkov` at the pinned version, installed with pip when missing.
fn ensure_checkov(root: &Path, log: &mut String) -> Result<PathBuf> {
    let venv = root.join(".local").join("venv-checkov");
    let checkov = venv.join("bin").join("checkov");
    let installed = Command::new(&checkov)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == CHECKOV_VERSION);
    if installed {
        return Ok(checkov);
    }
    let _ = writeln!(log, "==> installing checkov {CHECKOV_VERSION} into {}", venv.display());
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()))
        .context("python3 is not installed: checkov (PyPI) needs Python 3.9 or later")?;
    let out =
        Command::new(python).args(["-m", "venv", "--clear"]).arg(&venv).output().context("running python3 -m venv")?;
    append(log, &out);
    ensure!(out.status.success(), "python3 -m venv {} failed", venv.display());
    let out = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", &format!("checkov=={CHECKOV_VERSION}")])
        .output()
        .context("running pip install")?;
    append(log, &out);
    ensure!(out.status.success(), "pip install checkov=={CHECKOV_VERSION} failed");
    Ok(checkov)
}

fn step(name: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("==> {name}");
    if !cmd.status().with_context(|| format!("running {name}"))?.success() {
        bail!("{name} failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_versions_are_read_from_the_first_line() {
        assert_eq!(parse_terraform_version("Terraform v1.11.4\non linux_amd64\n"), Some((1, 11)));
        assert_eq!(parse_terraform_version("Terraform v1.9.0"), Some((1, 9)));
        assert_eq!(parse_terraform_version("command not found"), None);
    }

    #[test]
    fn validations_are_counted_per_variable() {
        let text = r#"
variable "name" {
  type = string

  validation {
    condition = true
  }
}

variable "edge" {
  validation {
    condition = true
  }

  validation {
    condition = true
  }
}

variable "tags" {
  type = map(string)
}
"#;
        let counts = count_validations(text);
        assert_eq!(counts.get("name"), Some(&1));
        assert_eq!(counts.get("edge"), Some(&2));
        assert_eq!(counts.get("tags"), None);
    }

    #[test]
    fn declared_inputs_and_outputs_are_found_at_the_start_of_lines() {
        let text = "variable \"name\" {\n  description = \"variable \\\"x\\\"\"\n}\noutput \"vpc_id\" {\n}\n";
        assert_eq!(declared_names(text), vec![("variable", "name".to_owned()), ("output", "vpc_id".to_owned())]);
    }

    #[test]
    fn expected_failures_are_counted_per_variable() {
        let text = "run \"a\" {\n  expect_failures = [var.edge]\n}\nrun \"b\" {\n  expect_failures = [var.edge, var.name]\n}\n\
                    run \"c\" {\n  expect_failures = [aws_vpc.this]\n}\n";
        let counts = count_expected_failures(text);
        assert_eq!(counts.get("edge"), Some(&2));
        assert_eq!(counts.get("name"), Some(&1));
        assert_eq!(counts.len(), 2);
    }
}
