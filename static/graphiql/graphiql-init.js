// Queries and mutations go to POST /graphql with the Headers tab's
// headers. Subscriptions go to /graphql/ws (graphql-transport-ws): GraphiQL
// sends the same Headers tab's JSON ({"Authorization": "Bearer <JWT>"}) as
// the connection_init payload. Headers are never persisted: a pasted token
// lives in this page only, not in the browser's storage.
'use strict';
(function () {
  const wsUrl = new URL('/graphql/ws', window.location.origin);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  window.ReactDOM.createRoot(document.getElementById('graphiql')).render(
    window.React.createElement(window.GraphiQL, {
      fetcher: window.GraphiQL.createFetcher({
        url: new URL('/graphql', window.location.origin).toString(),
        subscriptionUrl: wsUrl.toString(),
      }),
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: true,
    })
  );
})();
