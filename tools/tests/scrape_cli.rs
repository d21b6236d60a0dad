//! The real `pxby` binary: `dataset scrape` killed mid-run and resumed gives the same result as
//! an uninterrupted run without asking again for anything already cached; and its output feeds
//! `dataset build` end to end.

mod scrape_server;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pxby_tools::scrape::{CACHE_DIR, Cache};
use scrape_server::Server;

fn pxby() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pxby"))
}

fn scrape_command(server: &Server, out: &Path, delay_ms: u64) -> Command {
    let mut cmd = pxby();
    cmd.args(["dataset", "scrape", "--out"])
        .arg(out)
        .args(["--list-url", &server.list_url()])
        .args(["--bio-url-template", &server.bio_template()])
        .args(["--delay-ms", &delay_ms.to_string()])
        .args([
            "--concurrency",
            "2",
            "--retries",
            "2",
            "--backoff-ms",
            "5",
            "--timeout-ms",
            "5000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// `pokedex.csv` and `sprites/*` of an output folder.
fn output(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if let Ok(csv) = fs::read(out.join("pokedex.csv")) {
        files.insert("pokedex.csv".to_owned(), csv);
    }
    if let Ok(dir) = fs::read_dir(out.join("sprites")) {
        for entry in dir {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            files.insert(format!("sprites/{name}"), fs::read(entry.path()).unwrap());
        }
    }
    files
}

/// Request paths whose responses are in the cache (the redirect's target counts with it).
fn cached_paths(server: &Server, out: &Path) -> BTreeSet<String> {
    let cache = Cache::open(out.join(CACHE_DIR)).unwrap();
    let mut paths = BTreeSet::new();
    for page in cache.entries().unwrap() {
        paths.insert(page.url.strip_prefix(&server.base()).unwrap().to_owned());
        paths.insert(
            page.final_url
                .strip_prefix(&server.base())
                .unwrap()
                .to_owned(),
        );
    }
    paths
}

/// Every `.entry` file of the cache decodes (none is cut).
fn assert_cache_whole(out: &Path) {
    let dir = out.join(CACHE_DIR);
    let files = fs::read_dir(&dir)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "entry")
            })
            .count()
        })
        .unwrap_or(0);
    let entries = if dir.exists() {
        Cache::open(&dir).unwrap().entries().unwrap().len()
    } else {
        0
    };
    assert_eq!(files, entries, "a cache entry does not decode");
}

#[test]
fn killed_and_resumed_scrape_equals_an_uninterrupted_one() {
    let server = Server::start();

    // The uninterrupted reference run.
    let reference = tempfile::tempdir().unwrap();
    let status = scrape_command(&server, reference.path(), 0)
        .status()
        .unwrap();
    assert!(status.success());
    let expected = output(reference.path());
    assert_eq!(
        expected.len(),
        7,
        "pokedex.csv + 6 sprites: {:?}",
        expected.keys()
    );
    let all_paths: BTreeSet<String> = server.paths().into_iter().collect();
    assert_eq!(all_paths.len(), 14);

    // Killed four times at different points, then run to the end.
    let dir = tempfile::tempdir().unwrap();
    // (requests seen, then a pause so the kill lands in different phases: waiting for a
    // response, writing the cache or a sprite, waiting for the host's delay).
    for (kill_after, pause_ms) in [(2, 0), (2, 40), (2, 80), (2, 110)] {
        server.clear();
        let cached_before = cached_paths(&server, dir.path());
        let mut child = scrape_command(&server, dir.path(), 120).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.hits().len() < kill_after && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(pause_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        let requested = server.paths();
        assert!(requested.len() >= kill_after, "{requested:?}");
        assert!(
            requested.len() < all_paths.len(),
            "the run finished before the kill"
        );
        // Nothing already cached was asked for again.
        for path in &requested {
            assert!(
                !cached_before.contains(path),
                "{path} requested again after being cached"
            );
        }
        // What the killed run left is whole: no CSV yet, complete sprites, decodable cache.
        let left = output(dir.path());
        assert!(!left.contains_key("pokedex.csv"));
        for (name, bytes) in &left {
            assert_eq!(
                Some(bytes),
                expected.get(name),
                "{name} differs from the reference"
            );
        }
        assert_cache_whole(dir.path());
        // No temporary file outside the cache folder.
        for entry in fs::read_dir(dir.path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                [
                    ".scrape-cache",
                    "sprites",
                    "scrape-report.txt",
                    "scrape-report.json"
                ]
                .contains(&name.as_str()),
                "unexpected {name} after a kill"
            );
        }
    }

    server.clear();
    let cached_before = cached_paths(&server, dir.path());
    assert!(!cached_before.is_empty());
    let status = scrape_command(&server, dir.path(), 0).status().unwrap();
    assert!(status.success());
    let requested = server.paths();
    for path in &requested {
        assert!(
            !cached_before.contains(path),
            "{path} requested again after being cached"
        );
    }
    let unique: BTreeSet<&String> = requested.iter().collect();
    assert_eq!(
        unique.len(),
        requested.len(),
        "a path requested twice: {requested:?}"
    );
    assert_eq!(output(dir.path()), expected);
    let report = fs::read_to_string(dir.path().join("scrape-report.txt")).unwrap();
    assert!(report.contains("from cache"), "{report}");
}

#[test]
fn scraped_output_feeds_dataset_build() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let status = scrape_command(&server, &source, 0).status().unwrap();
    assert!(status.success());

    let data = dir.path().join("scraped.pxbd");
    let out = pxby()
        .args(["dataset", "build", "--source"])
        .arg(&source)
        .arg("--out")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dataset build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ds = pxby_data::dataset::Dataset::read(&data).unwrap();
    let items: Vec<(u32, &str)> = ds.items.iter().map(|i| (i.id, i.name.as_str())).collect();
    assert_eq!(
        items,
        vec![
            (1, "Bulbasaur"),
            (4, "Charmander"),
            (7, "Squirtle"),
            (25, "Pikachu"),
            (29, "Nidoran♀"),
            (83, "Farfetch'd"),
        ]
    );
    for item in &ds.items {
        assert!(
            item.height > 0 && item.width > 0 && !item.tokens.is_empty(),
            "{}",
            item.name
        );
    }
}
