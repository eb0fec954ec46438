# Sourced by run.sh and profile.sh: the settings our server runs with under the
# benchmark generator. Its thousands of connections all come from 127.0.0.1 and
# post far faster than people, so the connection caps are off and the rate limits
# lifted; everything else is the server's default.
GO_BENCH_ENV="MAX_CONNECTIONS=0 MAX_CONNECTIONS_PER_IP=0 LOGIN_RATE_PER_IP=1000000/1s LOGIN_RATE_PER_ACCOUNT=1000000/1s REGISTER_RATE_PER_IP=1000000/1s REGISTER_RATE_PER_ACCOUNT=1000000/1s POST_RATE_PER_USER=1000000/1s UPLOAD_RATE_PER_USER=1000000/1s CONNECT_RATE_PER_IP=1000000/1s"
