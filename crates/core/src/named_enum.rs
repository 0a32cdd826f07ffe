//! Kinds are enums, never strings: one macro gives each of them the same names in serde, `FromStr`
//! and `Display`, plus the Chinese words an import may use for them.

/// Declares a fieldless enum whose variants have one canonical snake_case name and optional aliases.
///
/// Parsing ignores ASCII case and surrounding white space; an unknown word is an
/// [`Error::UnknownName`](crate::Error::UnknownName) listing the accepted names.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical snake_case name.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        /// In the OpenAPI document: a string, one of the canonical names (the aliases are for
        /// imports only).
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(concat!("A ", $what, ".")))
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Error;

            fn from_str(word: &str) -> $crate::Result<Self> {
                let wanted = word.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                $(
                    if wanted == $text $(|| word.trim() == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                Err($crate::Error::UnknownName {
                    what: $what,
                    value: word.to_owned(),
                    expected: [$($text),+].join(", "),
                })
            }
        }
    };
}
