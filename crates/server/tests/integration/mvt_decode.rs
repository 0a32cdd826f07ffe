//! A small decoder of Mapbox Vector Tiles written from the specification, independent of the
//! encoder under test: the protobuf schema as prost messages and the geometry command stream.

use prost::Message;

#[derive(Clone, PartialEq, Message)]
pub struct Tile {
    #[prost(message, repeated, tag = "3")]
    pub layers: Vec<Layer>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Value {
    #[prost(string, optional, tag = "1")]
    pub string_value: Option<String>,
    #[prost(float, optional, tag = "2")]
    pub float_value: Option<f32>,
    #[prost(double, optional, tag = "3")]
    pub double_value: Option<f64>,
    #[prost(int64, optional, tag = "4")]
    pub int_value: Option<i64>,
    #[prost(uint64, optional, tag = "5")]
    pub uint_value: Option<u64>,
    #[prost(sint64, optional, tag = "6")]
    pub sint_value: Option<i64>,
    #[prost(bool, optional, tag = "7")]
    pub bool_value: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Feature {
    #[prost(uint64, optional, tag = "1")]
    pub id: Option<u64>,
    #[prost(uint32, repeated, tag = "2")]
    pub tags: Vec<u32>,
    #[prost(int32, optional, tag = "3")]
    pub r#type: Option<i32>,
    #[prost(uint32, repeated, tag = "4")]
    pub geometry: Vec<u32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Layer {
    #[prost(uint32, required, tag = "15")]
    pub version: u32,
    #[prost(string, required, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub features: Vec<Feature>,
    #[prost(string, repeated, tag = "3")]
    pub keys: Vec<String>,
    #[prost(message, repeated, tag = "4")]
    pub values: Vec<Value>,
    #[prost(uint32, optional, tag = "5")]
    pub extent: Option<u32>,
}

/// A decoded feature: id, type (1 point, 2 line, 3 polygon), rings/lines of grid points, tags.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub id: u64,
    pub kind: i32,
    pub parts: Vec<Vec<(i64, i64)>>,
    pub tags: Vec<(String, String)>,
}

impl Decoded {
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

pub fn decode(bytes: &[u8]) -> Vec<(String, u32, Vec<Decoded>)> {
    let tile = Tile::decode(bytes).expect("a valid vector tile");
    tile.layers
        .into_iter()
        .map(|layer| {
            let features = layer
                .features
                .iter()
                .map(|f| Decoded {
                    id: f.id.unwrap_or(0),
                    kind: f.r#type.unwrap_or(0),
                    parts: commands(&f.geometry),
                    tags: f
                        .tags
                        .chunks(2)
                        .map(|kv| {
                            (
                                layer.keys[kv[0] as usize].clone(),
                                text(&layer.values[kv[1] as usize]),
                            )
                        })
                        .collect(),
                })
                .collect();
            (layer.name, layer.extent.unwrap_or(4096), features)
        })
        .collect()
}

fn text(v: &Value) -> String {
    v.string_value
        .clone()
        .or(v.double_value.map(|d| d.to_string()))
        .or(v.float_value.map(|d| d.to_string()))
        .or(v.int_value.map(|d| d.to_string()))
        .or(v.uint_value.map(|d| d.to_string()))
        .or(v.sint_value.map(|d| d.to_string()))
        .or(v.bool_value.map(|d| d.to_string()))
        .unwrap_or_default()
}

/// The command stream: MoveTo (1), LineTo (2), ClosePath (7), zigzag-encoded deltas.
fn commands(stream: &[u32]) -> Vec<Vec<(i64, i64)>> {
    let zigzag = |n: u32| i64::from((n >> 1) as i32 ^ -((n & 1) as i32));
    let (mut x, mut y) = (0i64, 0i64);
    let mut parts: Vec<Vec<(i64, i64)>> = Vec::new();
    let mut i = 0;
    while i < stream.len() {
        let (id, count) = (stream[i] & 7, stream[i] >> 3);
        i += 1;
        match id {
            1 | 2 => {
                for _ in 0..count {
                    x += zigzag(stream[i]);
                    y += zigzag(stream[i + 1]);
                    i += 2;
                    if id == 1 {
                        parts.push(Vec::new());
                    }
                    parts.last_mut().expect("MoveTo first").push((x, y));
                }
            }
            7 => {}
            other => panic!("unknown command {other}"),
        }
    }
    parts
}

/// Shoelace area in grid units (positive: clockwise on screen, the MVT exterior winding).
pub fn area(ring: &[(i64, i64)]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum()
}
