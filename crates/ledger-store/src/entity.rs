//! Typed reads. Each entity's module (`partner_groups`, `partners`, ...) is
//! its one home: it owns the entity's key ([`Ref`]), its index entries, its
//! item encoding and its decoding ([`Entity`]). Callers name what they want
//! read as [`Ref`]s, alone or in tuples ([`Reads`]), and get typed values
//! back from one BatchGetItem; a missing one becomes [`Missing`] through
//! [`Found::found`].

use std::marker::PhantomData;
use std::vec::IntoIter;

use super::{Item, Key, Store, StoreError};

/// A value stored as one item of the table.
pub trait Entity: Sized {
    /// What a missing one is called in a 404 ("partner group").
    const NAME: &'static str;

    fn from_item(item: Item) -> Result<Self, StoreError>;
}

/// The key of one `E`: reading it answers an `Option<E>`.
pub struct Ref<E> {
    key: Key,
    entity: PhantomData<fn() -> E>,
}

impl<E> Ref<E> {
    pub(crate) fn new(key: Key) -> Self {
        Self {
            key,
            entity: PhantomData,
        }
    }

    pub fn key(&self) -> &Key {
        &self.key
    }
}

impl<E> Clone for Ref<E> {
    fn clone(&self) -> Self {
        Self::new(self.key.clone())
    }
}

impl<E> std::fmt::Debug for Ref<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Ref").field(&self.key).finish()
    }
}

/// What one read asks for: a [`Ref`], `()`, a `Vec` of refs, an `Option`
/// of one, or a tuple of these; its output has the same shape, typed. (A
/// bare [`Key`] reads its item undecoded.)
pub trait Reads {
    type Output;

    /// The keys to read, in the order [`Reads::decode`] takes their items.
    fn keys(&self) -> Vec<&Key>;

    fn decode(&self, items: &mut IntoIter<Option<Item>>) -> Result<Self::Output, StoreError>;
}

impl Reads for () {
    type Output = ();

    fn keys(&self) -> Vec<&Key> {
        Vec::new()
    }

    fn decode(&self, _: &mut IntoIter<Option<Item>>) -> Result<(), StoreError> {
        Ok(())
    }
}

impl<E: Entity> Reads for Ref<E> {
    type Output = Option<E>;

    fn keys(&self) -> Vec<&Key> {
        vec![&self.key]
    }

    fn decode(&self, items: &mut IntoIter<Option<Item>>) -> Result<Option<E>, StoreError> {
        items.next().flatten().map(E::from_item).transpose()
    }
}

/// A bare key reads the item as stored, for a caller that decodes it with
/// its module's `from_item`.
impl Reads for Key {
    type Output = Option<Item>;

    fn keys(&self) -> Vec<&Key> {
        vec![self]
    }

    fn decode(&self, items: &mut IntoIter<Option<Item>>) -> Result<Option<Item>, StoreError> {
        Ok(items.next().flatten())
    }
}

impl<R: Reads> Reads for Option<R> {
    type Output = Option<R::Output>;

    fn keys(&self) -> Vec<&Key> {
        self.as_ref().map(R::keys).unwrap_or_default()
    }

    fn decode(&self, items: &mut IntoIter<Option<Item>>) -> Result<Self::Output, StoreError> {
        self.as_ref().map(|r| r.decode(items)).transpose()
    }
}

impl<R: Reads> Reads for Vec<R> {
    type Output = Vec<R::Output>;

    fn keys(&self) -> Vec<&Key> {
        self.iter().flat_map(R::keys).collect()
    }

    fn decode(&self, items: &mut IntoIter<Option<Item>>) -> Result<Self::Output, StoreError> {
        self.iter().map(|r| r.decode(items)).collect()
    }
}

macro_rules! tuple_reads {
    ($($r:ident),+) => {
        impl<$($r: Reads),+> Reads for ($($r,)+) {
            type Output = ($($r::Output,)+);

            #[allow(non_snake_case)]
            fn keys(&self) -> Vec<&Key> {
                let ($($r,)+) = self;
                let mut keys = Vec::new();
                $(keys.extend($r.keys());)+
                keys
            }

            #[allow(non_snake_case)]
            fn decode(&self, items: &mut IntoIter<Option<Item>>) -> Result<Self::Output, StoreError> {
                let ($($r,)+) = self;
                Ok(($($r.decode(items)?,)+))
            }
        }
    };
}

tuple_reads!(A, B);
tuple_reads!(A, B, C);
tuple_reads!(A, B, C, D);
tuple_reads!(A, B, C, D, E);

impl Store {
    /// Reads `reads` in one strongly consistent BatchGetItem.
    pub async fn read<R: Reads>(&self, reads: &R) -> Result<R::Output, StoreError> {
        let items = self.get_many(&reads.keys()).await?;
        reads.decode(&mut items.into_iter())
    }
}

/// An entity the caller named does not exist (or is another account's).
#[derive(Debug, thiserror::Error)]
#[error("{0} not found")]
pub struct Missing(pub &'static str);

/// Turns a read's `Option` into the entity or [`Missing`].
pub trait Found<E> {
    fn found(self) -> Result<E, Missing>;
}

impl<E: Entity> Found<E> for Option<E> {
    fn found(self) -> Result<E, Missing> {
        self.ok_or(Missing(E::NAME))
    }
}
