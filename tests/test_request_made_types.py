"""The workspace model's answer to "may values of this type come from a client or tenant?":
from what request handlers extract, manifests and the contract, through fields, enum
variants and From/TryFrom conversions, never from the host's own configuration."""

from __future__ import annotations

from isolint.checks.parsing import parse
from isolint.checks.workspace import WorkspaceModel, summarise

HANDLERS = b"""
use axum::Json;

pub async fn update(Json(body): Json<UpdateRequest>) {}
pub async fn validate(body: AwebJson<Validated, JsonError>) {}
pub fn snapshot(db: Database<SerdeJson<Batch>>) {}

pub struct UpdateRequest { pub credential: Option<Credential>, pub target: Target }
pub enum Credential { Keys(KeyPair), Host { external_id: Option<String> } }
pub struct KeyPair { pub id: String, pub secret: String }
pub struct Target { pub bucket: String }
pub struct Validated { pub profile: Profile }
pub struct Profile { pub endpoint: String }
pub struct Batch { pub id: u32 }

pub enum Auth { Keys(KeyPair), HostIdentity }
impl TryFrom<Credential> for Auth { type Error = (); fn try_from(c: Credential) -> Result<Self, ()> { todo!() } }

pub struct HostConfig { pub region: String, pub auth: HostAuth }
pub enum HostAuth { Default, Keys(String) }
impl From<String> for HostConfig { fn from(s: String) -> Self { todo!() } }

pub type Result<T> = std::result::Result<T, Error>;
pub struct Error;
pub struct Reply { pub outcome: Result<Target> }
pub async fn reply(Json(reply): Json<Reply>) {}
"""

MANIFEST = b"""
pub struct AppManifest { pub storage: StorageSpec }
pub struct StorageSpec { pub bucket: String }
pub fn load(app: &AppManifest) {}
pub struct Declared { pub token: String }
"""


def model() -> WorkspaceModel:
    files = {"src/api.rs": HANDLERS, "src/manifest.rs": MANIFEST}
    return WorkspaceModel({path: summarise(parse(data), data) for path, data in files.items()}, dict(files))


def test_types_a_request_body_holds_are_made_from_the_request():
    workspace = model()
    for name in ("UpdateRequest", "Credential", "KeyPair", "Target", "Validated", "Profile"):
        origin = workspace.made_from_request(name)
        assert origin is not None and origin.kind == "request", name
    assert workspace.made_from_request("Credential").function == "update"
    assert workspace.made_from_request("Profile").type_name == "Validated"


def test_a_conversion_from_a_request_type_is_made_from_the_request():
    assert model().made_from_request("Auth") is not None


def test_the_hosts_own_types_are_not_made_from_a_request():
    workspace = model()
    # A conversion from `String`, which every request holds, says nothing of the host's config.
    for name in ("HostConfig", "HostAuth", "Batch"):
        assert workspace.made_from_request(name) is None, name


def test_an_alias_that_names_itself_is_read_once():
    workspace = model()
    assert workspace.made_from_request("Reply") is not None
    assert workspace.made_from_request("Error") is not None


def test_manifests_and_the_contract_are_tenants_choices():
    workspace = model()
    assert workspace.made_from_request("StorageSpec").kind == "manifest"
    assert workspace.made_from_request("Declared") is None
    assert workspace.made_from_request("Declared", ("Declared",)).kind == "contract"


RAW_BODIES = b"""
use bytes::Bytes;

pub fn create_route(service: Service) -> impl Filter { warp::path!("items").and(warp::body::bytes()).then(create_item) }
pub async fn create_item(format: Format, item_bytes: Bytes, service: Service) { let item = load_item(format, &item_bytes)?; }
pub async fn put_quota(State(app): State<App>, body: Bytes) { let quota = serde_json::from_slice::<Quota>(&body)?; }
#[post("/alerts")]
pub async fn add_alert(body: web::Bytes) { let alert: Alert = serde_yaml::from_slice(&body[..]).map_err(Error::from)?; }
pub async fn put_limits(Extension(db): Extension<Db>, body: String) { let limits: Result<Limits, toml::de::Error> = toml::from_str(&body); }

pub fn load_item(format: Format, content: &[u8]) -> anyhow::Result<Item> { todo!() }
pub fn parse_node_config(config_text: String) -> NodeConfig { toml::from_str::<NodeConfig>(&config_text).unwrap() }
pub fn read_cached(cached: Bytes) -> CacheEntry { serde_json::from_slice::<CacheEntry>(&cached).unwrap() }
pub async fn list_items(State(app): State<App>, body: String) { let uri: Uri = Uri::from_str(&body)?; }

pub struct Item { pub location: Location }
pub struct Location { pub uri: String }
pub struct Quota { pub max: u64 }
pub struct Alert { pub webhook: String }
pub struct Limits { pub rate: u32 }
pub struct NodeConfig { pub data_dir: String }
pub struct CacheEntry { pub url: String }
pub struct Uri { pub text: String }
"""


def test_what_a_handler_reads_its_raw_body_as_is_made_from_the_request():
    files = {"src/rest.rs": RAW_BODIES}
    workspace = WorkspaceModel({path: summarise(parse(data), data) for path, data in files.items()}, dict(files))
    for name, function in (("Item", "create_item"), ("Location", "create_item"), ("Quota", "put_quota"), ("Alert", "add_alert"),
                           ("Limits", "put_limits")):
        origin = workspace.made_from_request(name)
        assert origin is not None and origin.kind == "request" and origin.function == function, (name, origin)
    # Text the host parses at startup or read back from its own cache, and a type's own
    # constructor (not a format's reader), make nothing the client's.
    for name in ("NodeConfig", "CacheEntry", "Uri"):
        assert workspace.made_from_request(name) is None, name
