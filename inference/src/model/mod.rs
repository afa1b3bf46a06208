//! Text classifiers behind one synchronous trait, so the batcher can drive any of them on its
//! own thread without knowing the architecture.
