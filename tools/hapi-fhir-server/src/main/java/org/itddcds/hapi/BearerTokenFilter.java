package org.itddcds.hapi;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Test aid: when a token is configured, a request whose bearer token differs gets 401.
 *
 * <p>Requests without an Authorization header still pass, so loading fixtures needs no
 * token; a CDS service that sends an expired or wrong token sees a real 401, and one that
 * sends the right token proves it forwards the header.
 */
final class BearerTokenFilter extends OncePerRequestFilter {

  private final String expected;

  BearerTokenFilter(String expected) {
    this.expected = "Bearer " + expected;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String given = request.getHeader("Authorization");
    if (given != null && !given.equals(expected)) {
      response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
      response.setContentType("application/fhir+json");
      response.getOutputStream().write(
          ("{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                  + "\"code\":\"login\",\"diagnostics\":\"invalid bearer token\"}]}")
              .getBytes(StandardCharsets.UTF_8));
      return;
    }
    chain.doFilter(request, response);
  }
}
