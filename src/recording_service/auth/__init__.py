"""Who is calling: API tokens (created, listed, revoked), the people who sign in to the pages, their sessions
and the throttling of sign-in. The app registers this package's token check as `app.state.authenticate`;
roles and the dependencies that use it are `core.principals`.

May import: `core`, `audit.service`.
"""
