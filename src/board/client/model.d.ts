// Browser side: the model's types, read from the compiled server declarations (the server builds first).
type BoardModel = import('../../../dist/src/board/model.js').BoardModel;
type ProjectView = import('../../../dist/src/board/model.js').ProjectView;
type RunView = import('../../../dist/src/board/model.js').RunView;
