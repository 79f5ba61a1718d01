#ifndef SERVER_VERSION_H_
#define SERVER_VERSION_H_

namespace userimage {

inline constexpr char kServiceName[] = "clerk-user-image-service";
inline constexpr char kVersion[] = "0.1.0";

}  // namespace userimage

#endif  // SERVER_VERSION_H_
