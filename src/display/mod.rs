//! Pictures that render inline in evcxr notebooks and save to files.
