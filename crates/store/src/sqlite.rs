//! The embedded SQLite implementation of the Store trait (to be written).
