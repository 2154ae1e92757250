//! Configuration: defaults, then a TOML file, then `HEALTHCODE_*` variables,
//! then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use healthcode_core::config::ServerConfig;
use healthcode_store::StoreConfig;
use serde::{Deserialize, Serialize};

/// Everything the binary can be told.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Folder for the master key and, on the embedded default, the SQLite files.
    pub data: PathBuf,
    /// `postgres://...` to run on PostgreSQL; unset for SQLite in `data`.
    pub database_url: Option<String>,
    /// PostgreSQL schema for the data; the key store uses `<schema>_keys`.
    pub database_schema: String,
    /// Put the PostgreSQL key store in another database.
    pub key_store_url: Option<String>,
    /// The master key file; defaults to `data/master.key`.
    pub master_key: Option<PathBuf>,
    /// The HTTP service (`[server]` in TOML, `HEALTHCODE_SERVER__*` in the environment).
    pub server: ServerConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("healthcode-data"),
            database_url: None,
            database_schema: "healthcode".to_owned(),
            key_store_url: None,
            master_key: None,
            server: ServerConfig::default(),
        }
    }
}

/// Where the configuration comes from: the global `--config` and `--data` flags.
pub struct Source {
    pub file: Option<PathBuf>,
    pub data: Option<PathBuf>,
}

/// Flags shared by `serve` and `demo`.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// PostgreSQL URL; without it the embedded SQLite database is used.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// `healthcode serve`: the shared flags, and the provinces when one process
/// serves several.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeCommand {
    /// The flags every form of serving takes.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Serve several provinces from this one process: a configuration file per
    /// province (its own issuer, keys, data folder or schema, listen address and
    /// public URL). Repeat for each province; `--listen`, `--data` and
    /// `--config` do not apply, `--database-url` applies to every province.
    #[arg(long = "province", value_name = "CONFIG", conflicts_with = "listen")]
    pub provinces: Vec<PathBuf>,
}

/// Variables under `HEALTHCODE_` that are not settings of the service: the
/// configuration file's path (`--config`), the log format, and the test
/// harness's.
const NOT_CONFIG: [&str; 5] = [
    "config",
    "log_format",
    "test_database_url",
    "require_testdata",
    "testdata",
];

impl Config {
    /// Loads the configuration in precedence order; flags win.
    pub fn load(source: &Source, args: Option<&ServeArgs>) -> anyhow::Result<Config> {
        let data = source.data.clone();
        let file = source.file.as_deref();
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let default_file = data
            .clone()
            .unwrap_or_else(|| Config::default().data)
            .join("healthcode.toml");
        match file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "configuration file {} not found",
                    path.display()
                );
                figment = figment.merge(Toml::file(path));
            }
            None if default_file.exists() => figment = figment.merge(Toml::file(&default_file)),
            None => {}
        }
        figment = figment.merge(
            Env::prefixed("HEALTHCODE_")
                .filter(|key| {
                    !NOT_CONFIG
                        .iter()
                        .any(|n| key.as_str().eq_ignore_ascii_case(n))
                })
                .split("__"),
        );
        let mut config: Config = figment.extract().context("invalid configuration")?;
        if let Some(data) = data {
            config.data = data;
        }
        if let Some(args) = args {
            if let Some(listen) = args.listen {
                config.server.listen = listen;
            }
            if let Some(url) = &args.database_url {
                config.database_url = Some(url.clone());
            }
        }
        config
            .server
            .validate()
            .map_err(anyhow::Error::msg)
            .context("invalid [server] configuration")?;
        Ok(config)
    }

    /// Loads one configuration per province for a multi-province deployment and
    /// checks that they are really apart: no two provinces may share an issuer
    /// code, a listen address, a public URL, a master key or a store, since that
    /// would mix their keys or their citizens.
    pub fn load_provinces(files: &[PathBuf], args: &ServeArgs) -> anyhow::Result<Vec<Config>> {
        let configs = files
            .iter()
            .map(|file| {
                let source = Source {
                    file: Some(file.clone()),
                    data: None,
                };
                Config::load(&source, Some(args))
                    .with_context(|| format!("province configuration {}", file.display()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Config::check_apart(&configs)?;
        Ok(configs)
    }

    /// Refuses provinces that would share something that must be their own.
    pub fn check_apart(configs: &[Config]) -> anyhow::Result<()> {
        let mut seen = std::collections::HashSet::new();
        for config in configs {
            let mut owned = vec![
                ("issuer code", config.server.issuer.clone()),
                ("listen address", config.server.listen.to_string()),
                ("public URL", config.server.public_url.clone()),
                (
                    "master key",
                    absolute(&config.master_key_path()).display().to_string(),
                ),
            ];
            // The data and the key store: no province may write where another does.
            owned.extend(config.store().places().into_iter().map(|p| ("store", p)));
            for (what, value) in owned {
                anyhow::ensure!(
                    seen.insert((what, value.clone())),
                    "two provinces share the {what} {value}: each province needs its own"
                );
            }
        }
        Ok(())
    }

    /// Where the master key lives.
    pub fn master_key_path(&self) -> PathBuf {
        self.master_key
            .clone()
            .unwrap_or_else(|| self.data.join("master.key"))
    }

    /// Where the data and key store live.
    pub fn store(&self) -> StoreConfig {
        match &self.database_url {
            Some(url) => {
                let mut store = StoreConfig::postgres(url, &self.database_schema);
                if let StoreConfig::Postgres { keys_url, .. } = &mut store {
                    keys_url.clone_from(&self.key_store_url);
                }
                store
            }
            None => StoreConfig::sqlite_in(&self.data),
        }
    }
}

/// A path made absolute against the working directory (symbolic links resolved
/// when it exists), so that `a` and `./a` are recognised as one place.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
// figment::Jail's closures must return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn source(file: Option<&str>) -> Source {
        Source {
            file: file.map(PathBuf::from),
            data: None,
        }
    }

    #[test]
    fn defaults_are_the_embedded_demo_on_loopback() {
        Jail::expect_with(|_| {
            let config = Config::load(&source(None), None).expect("defaults");
            assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
            assert_eq!(
                config.store(),
                StoreConfig::sqlite_in(Path::new("healthcode-data"))
            );
            assert_eq!(
                config.master_key_path(),
                PathBuf::from("healthcode-data/master.key")
            );
            Ok(())
        });
    }

    #[test]
    fn file_then_environment_then_flags() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "hc.toml",
                "data = \"/srv/hc\"\ndatabase_url = \"postgres://db/hc\"\n[server]\nlisten = \"0.0.0.0:9000\"\ncode_lifetime = 120\n",
            )?;
            jail.set_env("HEALTHCODE_SERVER__CODE_LIFETIME", "240");
            // Variables of the test harness are not configuration.
            jail.set_env("HEALTHCODE_TEST_DATABASE_URL", "postgres://elsewhere/test");
            // Nor are the file's own variable (`--config`) and the log format.
            jail.set_env("HEALTHCODE_CONFIG", "hc.toml");
            jail.set_env("HEALTHCODE_LOG_FORMAT", "json");
            let from_file = Config::load(&source(Some("hc.toml")), None).expect("load");
            assert_eq!(from_file.server.listen.to_string(), "0.0.0.0:9000");
            assert_eq!(
                from_file.server.code_lifetime, 240,
                "the environment overrides the file"
            );
            assert!(
                matches!(from_file.store(), StoreConfig::Postgres { ref schema, .. } if schema == "healthcode")
            );
            let flags = ServeArgs {
                listen: Some("127.0.0.1:7000".parse().expect("addr")),
                database_url: None,
            };
            let with_flags = Config::load(
                &Source {
                    file: Some("hc.toml".into()),
                    data: Some("/tmp/x".into()),
                },
                Some(&flags),
            )
            .expect("load");
            assert_eq!(
                with_flags.server.listen.to_string(),
                "127.0.0.1:7000",
                "flags win"
            );
            assert_eq!(with_flags.data, PathBuf::from("/tmp/x"));
            Ok(())
        });
    }

    #[test]
    fn unknown_or_unsafe_settings_are_refused() {
        Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "[server]\nlisten_addr = \"0.0.0.0:1\"\n")?;
            assert!(
                Config::load(&source(Some("typo.toml")), None).is_err(),
                "a misspelt key is an error"
            );
            jail.create_file("long.toml", "[server]\ncode_lifetime = 86400\n")?;
            let err = Config::load(&source(Some("long.toml")), None)
                .expect_err("a day-long code is refused");
            assert!(format!("{err:#}").contains("code_lifetime"));
            assert!(Config::load(&source(Some("missing.toml")), None).is_err());
            Ok(())
        });
    }

    #[test]
    fn provinces_of_one_process_must_not_share_keys_stores_or_addresses() {
        Jail::expect_with(|jail| {
            let province = |name: &str, issuer: &str, port: u16, extra: &str| {
                format!(
                    "data = \"{name}\"\n{extra}[server]\nissuer = \"{issuer}\"\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"https://{name}.example\"\n"
                )
            };
            jail.create_file("fj.toml", &province("fj", "350000", 9001, ""))?;
            jail.create_file("zj.toml", &province("zj", "330000", 9002, ""))?;
            let flags = ServeArgs {
                listen: None,
                database_url: None,
            };
            let load = |files: &[&str]| {
                let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
                Config::load_provinces(&files, &flags)
            };
            let both = load(&["fj.toml", "zj.toml"]).expect("two provinces apart");
            assert_eq!(both[0].server.issuer, "350000");
            assert_eq!(both[1].data, PathBuf::from("zj"));

            let refused = |file: &str, what: &str| {
                let err = load(&["fj.toml", file]).expect_err(what);
                assert!(format!("{err:#}").contains(what), "{err:#}");
            };
            jail.create_file("same-issuer.toml", &province("zj", "350000", 9002, ""))?;
            refused("same-issuer.toml", "issuer code");
            jail.create_file("same-port.toml", &province("zj", "330000", 9001, ""))?;
            refused("same-port.toml", "listen address");
            // `./fj` is the same folder as `fj`: same SQLite files and master key.
            jail.create_file(
                "same-data.toml",
                &province("./fj", "330000", 9002, "").replace("https://./fj", "https://zj"),
            )?;
            refused("same-data.toml", "master key");
            jail.create_file(
                "same-master.toml",
                &province("zj", "330000", 9002, "master_key = \"fj/master.key\"\n"),
            )?;
            refused("same-master.toml", "master key");
            // One PostgreSQL server, one schema each.
            let pg = |schema: &str| {
                format!("database_url = \"postgres://db/hc\"\ndatabase_schema = \"{schema}\"\n")
            };
            jail.create_file("pg-fj.toml", &province("fj", "350000", 9001, &pg("fujian")))?;
            jail.create_file("pg-zj.toml", &province("zj", "330000", 9002, &pg("fujian")))?;
            let err = load(&["pg-fj.toml", "pg-zj.toml"]).expect_err("one schema shared");
            assert!(format!("{err:#}").contains("store"), "{err:#}");
            jail.create_file(
                "pg-zj.toml",
                &province("zj", "330000", 9002, &pg("zhejiang")),
            )?;
            assert!(load(&["pg-fj.toml", "pg-zj.toml"]).is_ok());
            // One province's data schema is the other's key store schema.
            jail.create_file(
                "pg-keys.toml",
                &province("zj", "330000", 9002, &pg("fujian_keys")),
            )?;
            let err = load(&["pg-fj.toml", "pg-keys.toml"]).expect_err("schema fujian_keys twice");
            assert!(format!("{err:#}").contains("schema fujian_keys"), "{err:#}");
            // The same server spelt another way, with a password that is never echoed.
            let other_spelling = "database_url = \"postgresql://hc:s3cret@db:5432/hc\"\ndatabase_schema = \"fujian\"\n";
            jail.create_file(
                "pg-spelt.toml",
                &province("zj", "330000", 9002, other_spelling),
            )?;
            let err = load(&["pg-fj.toml", "pg-spelt.toml"]).expect_err("one server, one schema");
            let text = format!("{err:#}");
            assert!(text.contains("db:5432/hc schema fujian"), "{text}");
            assert!(!text.contains("s3cret"), "{text}");
            // A key store shared through key_store_url.
            let shared_keys = |schema: &str, url: &str| {
                format!(
                    "database_url = \"{url}\"\ndatabase_schema = \"{schema}\"\nkey_store_url = \"postgres://vault/keys\"\n"
                )
            };
            jail.create_file(
                "ks-fj.toml",
                &province("fj", "350000", 9001, &shared_keys("p", "postgres://a/hc")),
            )?;
            jail.create_file(
                "ks-zj.toml",
                &province("zj", "330000", 9002, &shared_keys("p", "postgres://b/hc")),
            )?;
            let err = load(&["ks-fj.toml", "ks-zj.toml"]).expect_err("one key store");
            assert!(
                format!("{err:#}").contains("vault:5432/keys schema p_keys"),
                "{err:#}"
            );
            Ok(())
        });
    }
}
