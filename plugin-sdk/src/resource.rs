//! Resources: a fixed URI, or a family of them behind a URI template, each
//! read by a plain function.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;

use crate::{
    ReadError, ResourceBody, ResourceContents, ResourceDescription, TemplateDescription, args,
    uri_template,
};

/// What the author says of a resource or a template besides its URI.
#[derive(Debug, Default)]
struct About {
    name: String,
    title: Option<String>,
    description: Option<String>,
    mime_type: Option<String>,
}

/// A resource at one URI, read by a function.
///
/// ```
/// use moat_plugin_sdk::{ReadError, Resource, ResourceBody};
///
/// let motd = Resource::new("memo://motd", "motd", || Ok::<_, ReadError>("Be kind."))
///     .description("The message of the day")
///     .mime_type("text/plain");
///
/// let contents = motd.read().unwrap();
/// assert_eq!(contents[0].uri, "memo://motd");
/// assert_eq!(contents[0].body, ResourceBody::Text("Be kind.".into()));
/// ```
pub struct Resource {
    uri: String,
    about: About,
    read: Box<dyn Fn() -> Result<ResourceBody, ReadError>>,
}

impl Resource {
    /// The resource at `uri` (e.g. `test://static-text`), known to clients
    /// as `name` (e.g. `static-text`), whose contents `read` returns: text
    /// (`String`, `&str`) or bytes (`Vec<u8>`, `&[u8]`). The contents carry
    /// the resource's URI and MIME type.
    ///
    /// `read` runs in a fresh instance for every `resources/read`. Its
    /// [`ReadError::Failed`] reaches the client as an error with its message;
    /// `?` converts a `String` into one.
    pub fn new<B, F>(uri: impl Into<String>, name: impl Into<String>, read: F) -> Self
    where
        B: Into<ResourceBody>,
        F: Fn() -> Result<B, ReadError> + 'static,
    {
        Self {
            uri: uri.into(),
            about: About {
                name: name.into(),
                ..About::default()
            },
            read: Box::new(move || read().map(Into::into)),
        }
    }

    /// A human-readable name for clients to display.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.about.title = Some(title.into());
        self
    }

    /// What the resource holds, for the model and the user.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.about.description = Some(description.into());
        self
    }

    /// The MIME type of the contents, e.g. `text/plain` or `image/png`.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.about.mime_type = Some(mime_type.into());
        self
    }

    /// The resource's URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The resource as `resources/list` shows it.
    pub fn describe(&self) -> ResourceDescription {
        let about = &self.about;
        ResourceDescription {
            uri: self.uri.clone(),
            name: about.name.clone(),
            title: about.title.clone(),
            description: about.description.clone(),
            mime_type: about.mime_type.clone(),
        }
    }

    /// Reads the resource, as `resources/read` of its URI does.
    pub fn read(&self) -> Result<Vec<ResourceContents>, ReadError> {
        let body = (self.read)()?;
        Ok(vec![ResourceContents {
            uri: self.uri.clone(),
            mime_type: self.about.mime_type.clone(),
            body,
        }])
    }
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("uri", &self.uri)
            .field("about", &self.about)
            .finish_non_exhaustive()
    }
}

/// A family of resources whose URIs match an RFC 6570 template of simple
/// `{name}` variables, read by a function of the variables.
///
/// The function takes the variables as a struct (or a map of strings), as a
/// tool takes its arguments:
///
/// ```
/// use moat_plugin_sdk::{ReadError, ResourceBody, Template};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct User {
///     id: String,
/// }
///
/// fn user(User { id }: User) -> Result<String, ReadError> {
///     match id.as_str() {
///         "1" => Ok(r#"{"name": "Ada"}"#.into()),
///         _ => Err(ReadError::NotFound),
///     }
/// }
///
/// let users = Template::new("users://{id}/profile", "user-profile", user)
///     .mime_type("application/json");
///
/// let contents = users.read("users://1/profile").unwrap().unwrap();
/// assert_eq!(contents[0].uri, "users://1/profile");
/// assert_eq!(users.read("users://2/profile"), Some(Err(ReadError::NotFound)));
/// assert_eq!(users.read("users://1"), None);
/// ```
pub struct Template {
    uri_template: String,
    about: About,
    read: ReadVars,
}

/// Reads a template's resource from the variables of its URI.
type ReadVars = Box<dyn Fn(BTreeMap<String, String>) -> Result<ResourceBody, ReadError>>;

impl Template {
    /// The resources whose URIs match `uri_template` (e.g.
    /// `test://template/{id}/data`), known to clients as `name`.
    ///
    /// Each variable matches a non-empty run of characters other than `/`,
    /// `?` and `#`, percent-decoded: `{id}` in
    /// `users://{id}/profile` matches `users://1/profile`, not
    /// `users://1/2/profile`. `read` gets the variables decoded into `In`: a
    /// map of strings, or a struct whose fields are strings (parse numbers
    /// yourself) or string enums. Variables that do not decode (a value
    /// outside the enum, say) mean no such resource
    /// ([`ReadError::NotFound`]). Operators such as `{+path}` or
    /// `{?query}` are not supported: [`Template::describe`] panics on them.
    pub fn new<In, B, F>(uri_template: impl Into<String>, name: impl Into<String>, read: F) -> Self
    where
        In: DeserializeOwned,
        B: Into<ResourceBody>,
        F: Fn(In) -> Result<B, ReadError> + 'static,
    {
        let read = move |vars: BTreeMap<String, String>| {
            let vars = serde_json::to_value(vars).unwrap_or_default();
            let input = args::decode_value::<In>(vars).map_err(|_| ReadError::NotFound)?;
            read(input).map(Into::into)
        };
        Self {
            uri_template: uri_template.into(),
            about: About {
                name: name.into(),
                ..About::default()
            },
            read: Box::new(read),
        }
    }

    /// A human-readable name for clients to display.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.about.title = Some(title.into());
        self
    }

    /// What the resources hold, for the model and the user.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.about.description = Some(description.into());
        self
    }

    /// The MIME type of every resource the template matches.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.about.mime_type = Some(mime_type.into());
        self
    }

    /// The URI template.
    pub fn uri_template(&self) -> &str {
        &self.uri_template
    }

    /// The template as `resources/templates/list` shows it.
    ///
    /// # Panics
    ///
    /// If the template is not made of literals and simple `{name}`
    /// variables: a mistake in the plugin, which stops it from loading.
    pub fn describe(&self) -> TemplateDescription {
        if let Err(err) = uri_template::parse(&self.uri_template) {
            panic!(
                "moat-plugin-sdk: resource template `{}`: {err}",
                self.uri_template
            );
        }
        let about = &self.about;
        TemplateDescription {
            uri_template: self.uri_template.clone(),
            name: about.name.clone(),
            title: about.title.clone(),
            description: about.description.clone(),
            mime_type: about.mime_type.clone(),
        }
    }

    /// Reads the resource at `uri` if the template matches it (`None`
    /// otherwise, and for a template that does not parse).
    pub fn read(&self, uri: &str) -> Option<Result<Vec<ResourceContents>, ReadError>> {
        let parts = uri_template::parse(&self.uri_template).ok()?;
        let vars = uri_template::matches(&parts, uri)?;
        Some((self.read)(vars).map(|body| {
            vec![ResourceContents {
                uri: uri.to_owned(),
                mime_type: self.about.mime_type.clone(),
                body,
            }]
        }))
    }
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("uri_template", &self.uri_template)
            .field("about", &self.about)
            .finish_non_exhaustive()
    }
}

/// `Err(message)?` in a read function fails the read with that message.
impl From<String> for ReadError {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

/// `Err("message")?` in a read function fails the read with that message.
impl From<&str> for ReadError {
    fn from(message: &str) -> Self {
        Self::Failed(message.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_resource_reads_with_its_uri_and_mime_type() {
        let png = Resource::new("test://png", "png", || Ok(vec![1u8, 2, 3])).mime_type("image/png");
        assert_eq!(
            png.read(),
            Ok(vec![ResourceContents::blob(
                "test://png",
                "image/png",
                [1, 2, 3]
            )])
        );
        let description = png.describe();
        assert_eq!(description.name, "png");
        assert_eq!(description.mime_type.as_deref(), Some("image/png"));
        assert_eq!(description.description, None);
    }

    #[test]
    fn read_failures_carry_their_message() {
        let broken = Resource::new(
            "test://broken",
            "broken",
            || -> Result<String, ReadError> { Err("disk on fire")? },
        );
        assert_eq!(broken.read(), Err(ReadError::Failed("disk on fire".into())));
    }

    #[test]
    fn template_passes_variables_as_a_map_or_a_struct() {
        let echo = Template::new(
            "echo://{a}/{b}",
            "echo",
            |vars: BTreeMap<String, String>| {
                Ok::<_, ReadError>(format!("{}+{}", vars["a"], vars["b"]))
            },
        );
        let contents = echo.read("echo://x/y%20z").unwrap().unwrap();
        assert_eq!(contents[0].body, ResourceBody::Text("x+y z".into()));
        assert_eq!(contents[0].mime_type, None);

        #[derive(serde::Deserialize)]
        #[serde(rename_all = "lowercase")]
        enum Color {
            Red,
            Blue,
        }
        #[derive(serde::Deserialize)]
        struct Paint {
            color: Color,
        }
        let paint = Template::new("paint://{color}", "paint", |Paint { color }| {
            Ok::<_, ReadError>(match color {
                Color::Red => "#f00",
                Color::Blue => "#00f",
            })
        });
        let contents = paint.read("paint://blue").unwrap().unwrap();
        assert_eq!(contents[0].body, ResourceBody::Text("#00f".into()));
        assert_eq!(paint.read("paint://green"), Some(Err(ReadError::NotFound)));
    }

    #[test]
    #[should_panic(expected = "resource template `a://{+x}`")]
    fn operators_are_refused_at_describe() {
        Template::new("a://{+x}", "x", |_: BTreeMap<String, String>| {
            Ok::<_, ReadError>("")
        })
        .describe();
    }
}
